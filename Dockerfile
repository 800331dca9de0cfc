# walden's agent as a container image, for the sidecar pattern in docs/deployment.md.
# Untested here (no Docker engine, no hadolint on the development machine): build it with
#   docker build -t walden:0.1.0 .
# The build stage compiles walden (the static native walden-push included; no archive module, which
# needs PostgreSQL's server headers) and a Java runtime trimmed to the modules walden uses (jdeps);
# the image holds that runtime and the distribution, runs as uid 999 (the postgres user of the
# official PostgreSQL images: the agent must read pg_wal) and starts the agent.
FROM maven:3.9-eclipse-temurin-21 AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN mvn -B -q package -DskipTests -Dwalden.deb.skip=true \
    && jlink --add-modules java.base,java.compiler,java.desktop,java.naming,java.security.jgss,java.sql,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.net,jdk.unsupported \
        --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output /runtime

FROM debian:12-slim
COPY --from=build /runtime /opt/walden/runtime
COPY --from=build /src/dist/target/walden /opt/walden
# the start-up caches are trained for the JVM that runs them: this runtime's
RUN /opt/walden/lib/train-walden-push.sh /opt/walden /opt/walden/runtime \
    && /opt/walden/lib/train-walden.sh /opt/walden /opt/walden/runtime
USER 999:999
ENTRYPOINT ["/opt/walden/bin/walden"]
CMD ["agent", "--config", "/etc/walden/walden.conf"]
