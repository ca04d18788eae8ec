package dev.safeguard.packaged;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.SampleManifests;
import dev.safeguard.TestNetwork;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The container image, proven: built from the Dockerfile's {@code prebuilt} target with the classic builder
 * (no BuildKit) from the app this build just packaged, run as the chart runs it (non-root, read-only root
 * filesystem, /tmp a tmpfs, every capability dropped), answering {@code POST /validate} over TLS, and running
 * {@code check -} on stdin.
 *
 * <p>Needs a Docker engine and the base image under the Dockerfile's tag (scripts/build-base-image.sh makes
 * one from Debian packages where no registry is reachable). Without them the class is skipped, loudly; with
 * {@code SAFEGUARD_IMAGE_TEST=required} (set by .ci/run once it has an engine) it fails instead.
 */
@ExtendWith(ContainerImageIT.Engine.class)
class ContainerImageIT {

    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);
    static final String IMAGE = "kube-safeguard:it-" + UUID.randomUUID().toString().substring(0, 8);
    static final boolean REQUIRED = "required".equals(System.getenv("SAFEGUARD_IMAGE_TEST"));
    static String container;

    record Run(int exit, String out, String err) {
    }

    /** Skips the class, saying why, where there is no engine or no base image; fails instead when required. */
    static final class Engine implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (context.getTestMethod().isPresent()) {
                return ConditionEvaluationResult.enabled("decided for the class");
            }
            Optional<String> missing = unavailable();
            if (missing.isEmpty()) {
                return ConditionEvaluationResult.enabled("Docker engine and base image present");
            }
            if (REQUIRED) {
                System.err.println("*** ContainerImageIT cannot run, and SAFEGUARD_IMAGE_TEST=required: " + missing.get());
                return ConditionEvaluationResult.enabled("required: fails in @BeforeAll");
            }
            System.err.println("*** SKIPPED ContainerImageIT: " + missing.get());
            return ConditionEvaluationResult.disabled("ContainerImageIT skipped: " + missing.get());
        }
    }

    @BeforeAll
    static void buildImage() throws Exception {
        Optional<String> missing = unavailable();
        if (missing.isPresent()) {
            throw new AssertionError("the image cannot be built here, and SAFEGUARD_IMAGE_TEST=required: " + missing.get());
        }
        assertThat(PackagedWebhook.JAR).as("the app this build packaged").isRegularFile();
        long started = System.nanoTime();
        Run build = docker(BUILD_TIMEOUT, null, List.of("DOCKER_BUILDKIT=0"), "build", "--target", "prebuilt",
                "-t", IMAGE, ".");
        assertThat(build.exit()).as("docker build (classic builder):\n%s\n%s", tail(build.out()), build.err()).isZero();
        System.out.printf("ContainerImageIT: built %s with the classic builder in %d ms%n", IMAGE,
                (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void removeImage() throws Exception {
        if (container != null) {
            docker(Duration.ofSeconds(60), null, List.of(), "rm", "-f", container);
        }
        docker(Duration.ofSeconds(60), null, List.of(), "rmi", "-f", IMAGE);
    }

    @Test
    void servesValidateAsNonRootOnAReadOnlyRootFilesystem() throws Exception {
        int port = TestNetwork.freePort();
        int management = TestNetwork.freePort();
        long started = System.nanoTime();
        // The engine here has no bridge network (dockerd --bridge=none): the container shares the host's.
        Run run = docker(Duration.ofSeconds(60), null, List.of(), "run", "-d", "--network", "host", "--read-only",
                "--tmpfs", "/tmp:rw,size=64m", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                "-e", "QUARKUS_HTTP_SSL_PORT=" + port, "-e", "QUARKUS_MANAGEMENT_PORT=" + management,
                // AOTMode=on: the JVM refuses to start unless the AOT cache the image build made fits (else it would
                // only be slower, and this test would not notice).
                "-e", "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=45 -XX:MaxRAM=512m -XX:AOTMode=on", IMAGE);
        assertThat(run.exit()).as(run.err()).isZero();
        container = run.out().strip();

        HttpClient client = HttpClient.newBuilder().sslContext(TestNetwork.trustAll())
                .connectTimeout(Duration.ofSeconds(5)).build();
        awaitReady(client, management);
        System.out.printf("ContainerImageIT: ready %d ms after docker run%n", (System.nanoTime() - started) / 1_000_000);

        String review = SampleReviews.sample(null, null);
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/validate"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(review)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode response = SampleReviews.JSON.readTree(answer.body()).path("response");
        assertThat(response.path("uid").asText()).isEqualTo(SampleReviews.uid(review));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText())
                .startsWith("Deployment shop/web violates 1 kube-safeguard rule:").contains("[replicas-spread]");

        assertThat(docker(Duration.ofSeconds(30), null, List.of(), "inspect", "-f",
                "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}", container).out().strip())
                .isEqualTo("10001:10001 true");
        Run id = docker(Duration.ofSeconds(30), null, List.of(), "exec", container, "id", "-u");
        assertThat(id.out().strip()).isEqualTo("10001");
        Run write = docker(Duration.ofSeconds(30), null, List.of(), "exec", container, "touch",
                "/deployments/quarkus-app/written");
        assertThat(write.exit()).as("writing into the image").isNotZero();
        assertThat(write.err()).containsAnyOf("Read-only file system", "Permission denied");
    }

    @Test
    void checksManifestsOnStdin() throws Exception {
        String careless = SampleManifests.careless("shop", "api");
        // A short run on the image's own AOT cache (AOTMode=on: refuses to run without it), nothing on stderr.
        Run check = docker(Duration.ofSeconds(120), careless, List.of(), "run", "--rm", "-i", "--network", "none",
                "--read-only", "--tmpfs", "/tmp:rw,size=16m", "--cap-drop", "ALL",
                "-e", "SAFEGUARD_JAVA_OPTS=-XX:AOTMode=on", IMAGE, "check", "-");
        assertThat(check.exit()).as("exit code of check on a denied manifest\n%s\n%s", check.out(), check.err()).isEqualTo(1);
        assertThat(check.out()).contains("Deployment shop/api").contains("[image-tag]").contains("[replicas-spread]");
        assertThat(check.err()).as("stderr of check").isEmpty();

        Run clean = docker(Duration.ofSeconds(120), "", List.of(), "run", "--rm", "-i", "--network", "none",
                "--read-only", "--tmpfs", "/tmp:rw,size=16m", IMAGE, "--version");
        assertThat(clean.exit()).isZero();
        assertThat(clean.out()).contains("kube-safeguard");
    }

    /** Why the image cannot be built and run here, if it cannot. */
    static Optional<String> unavailable() {
        try {
            Run info = docker(Duration.ofSeconds(20), null, List.of(), "info", "--format", "{{.ServerVersion}}");
            if (info.exit() != 0) {
                return Optional.of("no Docker engine (docker info: " + info.err().strip()
                        + "); .ci/run installs docker.io and starts dockerd");
            }
        } catch (IOException e) {
            return Optional.of("no docker command (" + e.getMessage() + "); .ci/run installs docker.io");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
        String base = baseImage();
        try {
            if (docker(Duration.ofSeconds(20), null, List.of(), "image", "inspect", base).exit() != 0) {
                return Optional.of("the base image " + base + " is not in the Docker engine: pull it, or build it "
                        + "from Debian packages with scripts/build-base-image.sh");
            }
        } catch (IOException | InterruptedException e) {
            return Optional.of("docker image inspect failed: " + e.getMessage());
        }
        return Optional.empty();
    }

    static String baseImage() {
        try {
            Matcher from = Pattern.compile("(?m)^FROM (\\S+) AS runtime-base$").matcher(Files.readString(Path.of("Dockerfile")));
            if (!from.find()) {
                throw new IllegalStateException("no runtime-base stage in the Dockerfile");
            }
            return from.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void awaitReady(HttpClient client, int management) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "";
        while (System.nanoTime() < end) {
            try {
                HttpResponse<String> ready = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + management + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
                last = ready.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        Run logs = docker(Duration.ofSeconds(30), null, List.of(), "logs", container);
        throw new AssertionError("the container did not become ready: " + last + "\n" + logs.out() + logs.err());
    }

    /** Runs the docker command with a timeout; stdin from {@code input} when not null. */
    static Run docker(Duration timeout, String input, List<String> env, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        for (String variable : env) {
            int equals = variable.indexOf('=');
            builder.environment().put(variable.substring(0, equals), variable.substring(equals + 1));
        }
        Process process = builder.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try (var stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " did not finish within " + timeout);
        }
        return new Run(process.exitValue(), out.join(), err.join());
    }

    private static String read(InputStream stream) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            stream.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
