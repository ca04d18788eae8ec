package dev.safeguard.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * kube-controller-manager as a child process beside kube-api-test's API server, so that what users create is
 * followed by what controllers create: ReplicaSets and Pods of Deployments, Pods of DaemonSets, StatefulSets
 * and Jobs, Jobs of CronJobs, each CREATE going through admission like in a real cluster. There is no kubelet
 * and no scheduler: Pods are admitted and stay Pending.
 *
 * <p>Each controller acts as its own ServiceAccount in kube-system ({@code --use-service-account-credentials}:
 * e.g. {@code system:serviceaccount:kube-system:replicaset-controller}), as on kubeadm clusters; the admission
 * webhook sees that identity in {@code userInfo}. The controller-manager gets those credentials through the
 * TokenRequest API (creating each ServiceAccount first), signed with the key kube-api-test already gives the
 * API server ({@code --service-account-signing-key-file}); no private key is needed here, so the legacy
 * secret-based token controller is not run.
 *
 * <p>Its log is {@code target/kube-controller-manager.log}; its kubeconfig (the API server's administrator)
 * and serving certificate are in {@code target/kube-controller-manager/}.
 */
final class ControllerManager implements AutoCloseable {

    /**
     * The controllers it runs (--controllers). Workloads and what they need to behave as in a cluster (garbage
     * collection of owned objects, namespace deletion, a default ServiceAccount per namespace). Not run: the
     * node lifecycle controller (no kubelet heartbeats here: it would mark every Node unreachable after 50 s and
     * taint it, and evict its Pods), endpoints, volumes, certificates, quotas, autoscaling, disruption budgets'
     * status, and the legacy token controller (see above).
     */
    static final List<String> CONTROLLERS = List.of("deployment-controller", "replicaset-controller",
            "daemonset-controller", "statefulset-controller", "job-controller", "cronjob-controller",
            "garbage-collector-controller", "namespace-controller", "serviceaccount-controller");

    /**
     * The ServiceAccounts in kube-system those controllers act as (the names kube-controller-manager gives its
     * clients). Each is created when its controller starts: all present means every controller has started.
     */
    static final List<String> IDENTITIES = List.of("deployment-controller", "replicaset-controller",
            "daemon-set-controller", "statefulset-controller", "job-controller", "cronjob-controller",
            "generic-garbage-collector", "namespace-controller", "service-account-controller");

    static final Path DIRECTORY = Path.of("target", "kube-controller-manager").toAbsolutePath();
    static final Path LOG = Path.of("target", "kube-controller-manager.log").toAbsolutePath();

    private final Process process;
    private final Thread shutdownHook;
    private volatile boolean stopping;
    private volatile String lastHealth = "no answer yet";

    private ControllerManager(Process process) {
        this.process = process;
        // A JVM that ends without close() (killed build, crash) must not leave the process running.
        this.shutdownHook = new Thread(process::destroyForcibly, "kube-controller-manager-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        process.onExit().thenAccept(p -> {
            if (!stopping) {
                System.err.printf("%n*** kube-controller-manager exited unexpectedly (exit code %d); see %s%n%n",
                        p.exitValue(), LOG);
            }
        });
    }

    /**
     * Starts {@code binary} against the API server of {@code kubeConfigYaml} (an administrator's kubeconfig),
     * its secure port (health) on 127.0.0.1:{@code port}, and waits until it is healthy and every controller
     * has started (their ServiceAccounts exist).
     */
    static ControllerManager start(Path binary, String kubeConfigYaml, int port, KubernetesClient client) {
        List<String> command;
        TestCa ca;
        try {
            Files.createDirectories(DIRECTORY);
            Path kubeconfig = DIRECTORY.resolve("kubeconfig.yaml");
            Files.writeString(kubeconfig, kubeConfigYaml);
            // A serving certificate of our own CA, so that the health check verifies TLS like any client.
            ca = new TestCa("kube-safeguard e2e kube-controller-manager CA");
            Path[] serving = ca.issueServing(DIRECTORY, "serving", List.of("localhost"), List.of("127.0.0.1"));
            command = new ArrayList<>(List.of(binary.toString(),
                    "--kubeconfig=" + kubeconfig,
                    // Each controller as its own ServiceAccount in kube-system (TokenRequest), not as the administrator.
                    "--use-service-account-credentials=true",
                    "--controllers=" + String.join(",", CONTROLLERS),
                    // One instance: no Lease to wait for.
                    "--leader-elect=false",
                    // Health on a free loopback port: never the default 10257, never all interfaces.
                    "--bind-address=127.0.0.1",
                    "--secure-port=" + port,
                    "--tls-cert-file=" + serving[0],
                    "--tls-private-key-file=" + serving[1],
                    // Which controller started, synced and created what, without the per-request noise of --v=4.
                    "--v=2"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot prepare kube-controller-manager's certificate", e);
        }
        Process process;
        try {
            Files.deleteIfExists(LOG);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(LOG.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        ControllerManager started = new ControllerManager(process);
        try {
            started.awaitHealthy(port, ca.pem());
            started.awaitControllers(client);
        } catch (RuntimeException | IOException e) {
            started.close();
            throw new IllegalStateException("kube-controller-manager did not become ready (" + e.getMessage()
                    + "; last /healthz: " + started.lastHealth + "); its log "
                    + LOG + " ends with:\n" + tail(), e);
        }
        return started;
    }

    /** GET /healthz on its secure port (authorised without credentials) answers 200. */
    private void awaitHealthy(int port, String caPem) {
        // HTTP/1.1: the Go server answers the JDK client's HTTP/2 connection with GOAWAY.
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting(caPem))
                .connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest healthz = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(5)).build();
        await("kube-controller-manager's /healthz on 127.0.0.1:" + port).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("kube-controller-manager exited with code " + process.exitValue());
                    }
                    try {
                        HttpResponse<String> response = http.send(healthz, HttpResponse.BodyHandlers.ofString());
                        lastHealth = response.statusCode() + " " + response.body();
                        return response.statusCode() == 200;
                    } catch (IOException notYetListening) {
                        lastHealth = notYetListening.toString();
                        return false;
                    }
                });
    }

    /** Every controller's ServiceAccount exists in kube-system: each creates its own when it starts. */
    private void awaitControllers(KubernetesClient client) {
        await("the ServiceAccounts of kube-controller-manager's controllers in kube-system " + IDENTITIES)
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("kube-controller-manager exited with code " + process.exitValue());
                    }
                    List<String> present = client.serviceAccounts().inNamespace("kube-system").list().getItems().stream()
                            .map(sa -> sa.getMetadata().getName()).toList();
                    return present.containsAll(IDENTITIES);
                });
    }

    private static SSLContext trusting(String caPem) {
        try {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cannot trust the controller-manager's test CA", e);
        }
    }

    private static String tail() {
        try {
            List<String> lines = Files.readAllLines(LOG);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Stops it (SIGTERM, then SIGKILL after 10 s). */
    @Override
    public void close() {
        stopping = true;
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // Closed from a shutdown hook: the hook runs anyway, harmlessly.
        }
    }
}
