FROM debian:12
RUN apt-get install -y curl=7.88.1-10
RUN apk add --no-cache curl=8.5.0-r0
RUN pip install --no-cache-dir flask==3.0.3 -r requirements.txt .
RUN npm install -g typescript@5.4.5 @angular/cli@17.0.0
RUN npm install express
