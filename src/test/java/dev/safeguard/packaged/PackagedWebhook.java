package dev.safeguard.packaged;

import dev.safeguard.TestNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged webhook (target/quarkus-app/quarkus-run.jar) as its own process, the way a pod runs it: its own
 * JVM options, environment, a policy file, free ports, a generated self-signed certificate. The tests here
 * need what a @QuarkusTest cannot give: a real SIGTERM, and a heap of the size the chart gives.
 */
final class PackagedWebhook implements AutoCloseable {

    static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    static final Path VALUES = Path.of("helm", "kube-safeguard", "values.yaml");

    final Process process;
    final int port;
    final int managementPort;
    final Path log;
    final HttpClient client;

    private PackagedWebhook(Process process, int port, int managementPort, Path log) throws Exception {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(TestNetwork.trustAll())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Starts the jar with {@code jvmOptions} (as JAVA_TOOL_OPTIONS), {@code env} and the policy text. */
    static PackagedWebhook start(String name, String jvmOptions, Map<String, String> env, String policy)
            throws Exception {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing: integration tests run after `package`");
        }
        Path directory = Files.createDirectories(Path.of("target", "packaged-" + name));
        Path policyFile = directory.resolve("policy.yaml");
        Files.writeString(policyFile, policy);
        Path log = directory.resolve("server.log");
        int port = TestNetwork.freePort();
        int managementPort = TestNetwork.freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.ssl-port=" + port, "-Dquarkus.management.port=" + managementPort,
                "-jar", JAR.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("SAFEGUARD_TLS_CERT");
        builder.environment().put("JAVA_TOOL_OPTIONS", jvmOptions);
        builder.environment().put("SAFEGUARD_POLICY_PATH", policyFile.toAbsolutePath().toString());
        builder.environment().putAll(env);
        PackagedWebhook webhook = new PackagedWebhook(builder.start(), port, managementPort, log);
        webhook.awaitReady(Duration.ofSeconds(90));
        return webhook;
    }

    /** The chart's JAVA_TOOL_OPTIONS with the JVM sized as in a pod with the chart's memory limit. */
    static String chartJvmOptions() throws IOException {
        String values = Files.readString(VALUES);
        Matcher options = Pattern.compile("(?m)^javaToolOptions: \"([^\"]*)\"").matcher(values);
        Matcher limit = Pattern.compile("(?ms)^resources:.*?limits:\\s*\\n\\s*memory: (\\d+)Mi").matcher(values);
        if (!options.find() || !limit.find()) {
            throw new IllegalStateException("javaToolOptions or resources.limits.memory not found in " + VALUES);
        }
        return options.group(1) + " -XX:MaxRAM=" + limit.group(1) + "m";
    }

    void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the webhook exited with " + process.exitValue() + ":\n" + log());
            }
            if (readyStatus() == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the webhook did not become ready within " + timeout + ":\n" + log());
    }

    /** HTTP status of /q/health/ready, or -1 when nothing answers. */
    int readyStatus() {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String metrics() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    HttpRequest review(String body) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/validate"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    HttpResponse<String> post(String body) throws Exception {
        return client.send(review(body), HttpResponse.BodyHandlers.ofString());
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM, as the kubelet sends it. */
    void terminate() {
        process.destroy();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static double metric(String text, String name, String label) {
        for (String line : text.lines().toList()) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
