# concepts: add-url, root-user, healthcheck
FROM eclipse-temurin:17-jdk AS build
WORKDIR /workspace
COPY . .
RUN ./gradlew bootJar
FROM eclipse-temurin:17-jre
ADD https://github.com/open-telemetry/opentelemetry-java-instrumentation/releases/download/v2.4.0/opentelemetry-javaagent.jar /otel.jar
COPY --from=build /workspace/build/libs/app.jar /app.jar
ENTRYPOINT ["java", "-javaagent:/otel.jar", "-jar", "/app.jar"]
