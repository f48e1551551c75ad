FROM debian:12 AS build
RUN apt-get update && apt-get install -y build-essential
FROM debian:12
COPY --from=build /out /out
