package dev.safeguard.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged webhook as the e2e tests see it: where it listens, the CA that signed it, its policy file and metrics. */
public final class Webhook {

    /** Never evaluated by the policy (spec.exclude.namespaces). */
    static final String EXCLUDED_NAMESPACE = "e2e-excluded";

    enum Mode {
        ENFORCE, AUDIT;

        String id() {
            return name().toLowerCase();
        }
    }

    private final String caPem;
    private final int port;
    private final int managementPort;
    private final Path policyFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Webhook(String caPem, int port, int managementPort, Path policyFile) {
        this.caPem = caPem;
        this.port = port;
        this.managementPort = managementPort;
        this.policyFile = policyFile;
    }

    int port() {
        return port;
    }

    int managementPort() {
        return managementPort;
    }

    Path policyFile() {
        return policyFile;
    }

    /** The test CA, base64-encoded PEM as ValidatingWebhookConfiguration.webhooks[].clientConfig.caBundle wants it. */
    String caBundle() {
        return Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
    }

    /** The URL the API server calls, with the host under which the cluster reaches this machine. */
    String url(String host) {
        return "https://" + host + ":" + port + "/validate";
    }

    static String policy(Mode mode, String... alsoExcluded) {
        return """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: e2e}
                spec:
                  mode: %s
                  exclude:
                    namespaces: [%s]
                """.formatted(mode.id(), String.join(", ", concat(EXCLUDED_NAMESPACE, alsoExcluded)));
    }

    private static List<String> concat(String first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all;
    }

    /** Writes the policy file atomically (the service must never read half a file). */
    void writePolicy(Mode mode, String... alsoExcluded) {
        writePolicy(policy(mode, alsoExcluded));
    }

    private void writePolicy(String text) {
        try {
            Path temporary = policyFile.resolveSibling(".policy.yaml.tmp");
            Files.writeString(temporary, text);
            Files.move(temporary, policyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Switches the running service to {@code mode} (excluding {@link #EXCLUDED_NAMESPACE} and {@code alsoExcluded})
     * by rewriting its policy file, and waits until the service
     * says (safeguard_policy_info on /q/metrics) that exactly this file version is serving.
     */
    void use(Mode mode, String... alsoExcluded) {
        String[] labels = {"mode=\"" + mode.id() + "\"", "version=\"" + fingerprint(policy(mode, alsoExcluded)) + "\""};
        if (sample(metrics(), "safeguard_policy_info", labels) == 1) {
            return;
        }
        writePolicy(mode, alsoExcluded);
        await("the webhook serving the policy in " + mode.id() + " mode (safeguard_policy_info" + String.join(",", labels) + ")")
                .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> sample(metrics(), "safeguard_policy_info", labels) == 1);
    }

    /**
     * Serves the SafeguardPolicy {@code text} (a scenario's own: dates, namespace entries, grantors) and waits until
     * the service says this version serves, then until it is ready (a policy reading namespace labels starts an
     * informer on Namespaces).
     */
    void usePolicy(String text) {
        String version = "version=\"" + fingerprint(text) + "\"";
        writePolicy(text);
        await("the webhook serving the scenario's policy (" + version + ")").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100)).until(() -> sample(metrics(), "safeguard_policy_info", version) == 1);
        awaitReady();
    }

    /** Waits until /q/health/ready answers 200: the policy is loaded and every informer cache has synced. */
    void awaitReady() {
        await("the webhook ready (informer caches synced)").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    /** Prometheus text from the management port. */
    String metrics() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET /q/metrics answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of the first sample of {@code name} carrying every label given ({@code kind="Deployment"}), or 0. */
    static double sample(String metrics, String name, String... labels) {
        Matcher matcher = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(metrics);
        while (matcher.find()) {
            boolean all = true;
            for (String label : labels) {
                all &= matcher.group(1).contains(label);
            }
            if (all) {
                return Double.parseDouble(matcher.group(2));
            }
        }
        return 0;
    }

    /** The service's policy version: the first 12 hex digits of the SHA-256 of the file. */
    private static String fingerprint(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
