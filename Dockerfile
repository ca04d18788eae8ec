# syntax=docker/dockerfile:1
#
# kube-safeguard image: the Quarkus fast-jar on a JRE, run as a non-root numeric user.
#
# With BuildKit (Docker 23+, buildx), from source in one step; ~/.m2 is a cache mount between builds:
#   docker build -t kube-safeguard:0.1.0-SNAPSHOT .
# Without BuildKit (the classic builder, DOCKER_BUILDKIT=0), or to package what CI built and tested: build
# the app on the host, then only the runtime stage, which copies target/quarkus-app:
#   ./mvnw -B package -DskipTests && DOCKER_BUILDKIT=0 docker build --target prebuilt -t kube-safeguard:0.1.0-SNAPSHOT .
# (The classic builder stops at the target stage, so it never reaches the build stage's RUN --mount.)
#
#   docker run --rm -p 8443:8443 -p 9000:9000 kube-safeguard:0.1.0-SNAPSHOT        # serve (no arguments)
#   helm template my-release helm/kube-safeguard | docker run --rm -i kube-safeguard:0.1.0-SNAPSHOT check -
#
# In a cluster the Helm chart mounts the TLS certificate and the policy and sets SAFEGUARD_* variables; it
# runs the image with a read-only root filesystem and an emptyDir on /tmp. Without a registry, a base image
# under the tag below can be made from Debian packages: scripts/build-base-image.sh.

# --- runtime base: the JRE, the non-root user, the entrypoint (shared by both ways of building) --------------
# Java 25 (LTS) for its AOT cache (JEP 483/514/515): the webhook is ready in about 2/3 of the time it takes on 17
# with AppCDS (docs/performance.md). The app is built for 17 and runs on either.
FROM eclipse-temurin:25-jre AS runtime-base
LABEL org.opencontainers.image.title="kube-safeguard" \
      org.opencontainers.image.description="Kubernetes validating admission webhook running shared safeguard rules" \
      org.opencontainers.image.licenses="Apache-2.0"

# A numeric, non-root user (the chart's runAsUser/runAsGroup default to the same ids).
RUN groupadd --system --gid 10001 safeguard \
 && useradd --system --uid 10001 --gid 10001 --home-dir /deployments --no-create-home \
        --shell /usr/sbin/nologin safeguard

ENV LANG=C.UTF-8
WORKDIR /deployments
# 8443: the webhook (HTTPS, POST /validate). 9000: health and metrics (plain HTTP, /q/health, /q/metrics).
EXPOSE 8443 9000
# No arguments (or `serve`) serves the webhook; `check ...` runs the command line without a server. The launcher
# (src/main/bin/safeguard) picks the JVM options by command: the JVM's defaults and JAVA_TOOL_OPTIONS (the chart's)
# for serve and audit; C1 only, the serial collector and the class-data archive made below for check and the others.
ENTRYPOINT ["/deployments/quarkus-app/safeguard"]
USER 10001:10001

# --- prebuilt: the app built on the host (target/quarkus-app); no BuildKit needed -----------------------------
# The fast-jar layout, in layers from least to most often changed, as in Quarkus' Dockerfile.jvm. Owned by
# root and not writable by the user: the process cannot modify its own code.
FROM runtime-base AS prebuilt
COPY target/quarkus-app/lib/ /deployments/quarkus-app/lib/
COPY target/quarkus-app/*.jar /deployments/quarkus-app/
COPY target/quarkus-app/app/ /deployments/quarkus-app/app/
COPY target/quarkus-app/quarkus/ /deployments/quarkus-app/quarkus/
COPY target/quarkus-app/safeguard /deployments/quarkus-app/
# The class-data archives (AOT caches) of a short run and of a start (training runs), made as root while the files
# are writable: the JVM checks that the jars it was trained on are unchanged, so they must be made in place.
USER 0
RUN /deployments/quarkus-app/safeguard cds-archives
USER 10001:10001

# --- build: the project's own Maven wrapper (Maven 3.9; Quarkus refuses older Maven), BuildKit ----------------
FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/main/ src/main/
# The cache mount keeps ~/.m2 between builds (BuildKit); tests run in CI, not in the image build.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q package -DskipTests \
 && test -f target/quarkus-app/quarkus-run.jar

# --- runtime (the default target): the app from the build stage ----------------------------------------------
FROM runtime-base
COPY --from=build /build/target/quarkus-app/lib/ /deployments/quarkus-app/lib/
COPY --from=build /build/target/quarkus-app/*.jar /deployments/quarkus-app/
COPY --from=build /build/target/quarkus-app/app/ /deployments/quarkus-app/app/
COPY --from=build /build/target/quarkus-app/quarkus/ /deployments/quarkus-app/quarkus/
COPY --from=build /build/target/quarkus-app/safeguard /deployments/quarkus-app/
USER 0
RUN /deployments/quarkus-app/safeguard cds-archives
USER 10001:10001
