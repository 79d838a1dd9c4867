# syntax=docker/dockerfile:1
# The modelpool worker image. Multi-stage: a JDK builds the worker (no broker, no client: see worker/pom.xml's
# enforcer rule) with the Maven wrapper; a JRE runs it as a
# non-root user with the JVM sized by the container's memory limit.
#   docker build -t modelpool-worker .
#   docker run --rm -e MODELPOOL_KAFKA_BOOTSTRAP_SERVERS=... -e MODELPOOL_SCHEMA_REGISTRY_URL=... modelpool-worker

FROM eclipse-temurin:17.0.15_6-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
# Only what the image runs: the worker and the two modules it depends on. The other modules' POMs must be there for
# the reactor to read; with tests skipped (-Dmaven.test.skip) nothing depends on them, so they are not built.
COPY kafka-support/ kafka-support/
COPY schemas/ schemas/
COPY worker/ worker/
COPY devstack/pom.xml devstack/pom.xml
COPY producer-cli/pom.xml producer-cli/pom.xml
COPY local/pom.xml local/pom.xml
COPY bench/pom.xml bench/pom.xml
RUN ./mvnw -B -ntp -q -pl worker -am package -Dmaven.test.skip=true

FROM eclipse-temurin:17.0.15_6-jre
RUN groupadd --system --gid 10001 modelpool \
 && useradd --system --uid 10001 --gid modelpool --home-dir /opt/modelpool --no-create-home modelpool \
 && mkdir -p /var/lib/modelpool && chown modelpool:modelpool /var/lib/modelpool
WORKDIR /opt/modelpool
COPY --from=build /src/worker/target/modelpool-worker.jar ./modelpool-worker.jar
COPY --from=build /src/worker/target/lib/ ./lib/
# ONNX Runtime and the tokenizer library unpack their native code to a writable directory at start-up.
# data.dir holds the job tracker's state stores (rebuilt from Kafka at every start).
ENV DJL_CACHE_DIR=/tmp/djl \
    MODELPOOL_DATA_DIR=/var/lib/modelpool \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    MODELPOOL_HTTP_PORT=9400
USER 10001:10001
EXPOSE 9400
# Exec form: java is PID 1 and receives SIGTERM itself, so the graceful drain runs on `docker stop`.
ENTRYPOINT ["java", "-jar", "/opt/modelpool/modelpool-worker.jar"]
CMD ["run"]
