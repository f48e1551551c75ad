# concepts: root-user, healthcheck, add-url, add-local, apt-hygiene, unpinned, exposed-ports
FROM openjdk:8
ADD https://repo.example.com/app/app-1.0.jar /opt/app.jar
ADD config.properties /opt/
RUN apt-get update && apt-get install -y openssh-server && rm -rf /var/lib/apt/lists/*
EXPOSE 8080 22
CMD java -jar /opt/app.jar
