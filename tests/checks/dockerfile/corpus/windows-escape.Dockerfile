# escape=`
# concepts: healthcheck, root-user
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
RUN Invoke-WebRequest -Uri https://example.com/setup.exe -OutFile C:\setup.exe; `
    Start-Process C:\setup.exe -Wait
WORKDIR C:\app
CMD ["C:\\app\\run.exe"]
