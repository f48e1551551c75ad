FROM alpine:3.20
# expect
ENV GIT_SSL_NO_VERIFY=true
# expect
RUN git config --global http.sslVerify false
