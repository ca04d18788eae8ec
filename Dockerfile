# syntax=docker/dockerfile:1
#
# kube-safeguard image: the Quarkus fast-jar on a JRE, run as a non-root numeric user.
#
#   docker build -t kube-safeguard:0.1.0-SNAPSHOT .
#   docker run --rm -p 8443:8443 -p 9000:9000 kube-safeguard:0.1.0-SNAPSHOT        # serve (no arguments)
#   helm template my-release helm/kube-safeguard | docker run --rm -i kube-safeguard:0.1.0-SNAPSHOT check -
#
# In a cluster the Helm chart mounts the TLS certificate and the policy and sets SAFEGUARD_* variables.

# --- build: the project's own Maven wrapper (Maven 3.9; Quarkus refuses older Maven) ------------------------
FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/ src/
# The cache mount keeps ~/.m2 between builds (BuildKit); tests run in CI, not in the image build.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q package -DskipTests \
 && test -f target/quarkus-app/quarkus-run.jar

# --- runtime -------------------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="kube-safeguard" \
      org.opencontainers.image.description="Kubernetes validating admission webhook running shared safeguard rules" \
      org.opencontainers.image.licenses="Apache-2.0"

# A numeric, non-root user (the chart's runAsUser/runAsGroup default to the same ids).
RUN groupadd --system --gid 10001 safeguard \
 && useradd --system --uid 10001 --gid 10001 --home-dir /deployments --no-create-home \
        --shell /usr/sbin/nologin safeguard

# The fast-jar layout, in layers from least to most often changed, as in Quarkus' Dockerfile.jvm.
# Owned by root and not writable by the user: the process cannot modify its own code.
COPY --from=build /build/target/quarkus-app/lib/ /deployments/quarkus-app/lib/
COPY --from=build /build/target/quarkus-app/*.jar /deployments/quarkus-app/
COPY --from=build /build/target/quarkus-app/app/ /deployments/quarkus-app/app/
COPY --from=build /build/target/quarkus-app/quarkus/ /deployments/quarkus-app/quarkus/

ENV LANG=C.UTF-8
WORKDIR /deployments
USER 10001:10001
# 8443: the webhook (HTTPS, POST /validate). 9000: health and metrics (plain HTTP, /q/health, /q/metrics).
EXPOSE 8443 9000
# No arguments (or `serve`) serves the webhook; `check ...` runs the command line without a server.
ENTRYPOINT ["java", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-jar", "/deployments/quarkus-app/quarkus-run.jar"]
