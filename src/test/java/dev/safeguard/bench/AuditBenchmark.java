package dev.safeguard.bench;

import dev.safeguard.SampleManifests;
import dev.safeguard.TestNetwork;
import dev.safeguard.admission.AuditClusterResource;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The background audit at scale, printed (scripts/benchmark-audit.sh runs it; figures in docs/performance.md):
 * a local kube-apiserver with N workloads (Deployments, each with a Service and a PodDisruptionBudget) over M
 * namespaces, then the packaged {@code safeguard audit} with a bounded heap: time to the first full audit
 * reported, heap and RSS, one object's change until its report shows it, and how many report objects exist.
 * Not a test: it asserts nothing, it measures (the targets of issue 12 are printed beside the figures).
 */
public final class AuditBenchmark {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    private AuditBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int workloads = Integer.parseInt(System.getProperty("workloads", "10000"));
        int namespaces = Integer.parseInt(System.getProperty("namespaces", "200"));
        String heap = System.getProperty("heap", "256m");
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " missing: ./mvnw -B package -DskipTests first");
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion("1.35.8").withOfflineMode(true).withUpdateKubeConfig(false)
                .withApiServerFlag("--max-requests-inflight", "1000")
                .withApiServerFlag("--max-mutating-requests-inflight", "1000").build());
        server.start();
        Process audit = null;
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(tuned(server.getKubeConfigYaml())).build()) {
            AuditClusterResource.installReportCrds(client);
            long created = System.nanoTime();
            populate(client, workloads, namespaces);
            System.out.printf("[bench] created %d Deployments + %d Services + %d PodDisruptionBudgets in %d namespaces in %.1f s%n",
                    workloads, workloads, workloads, namespaces, seconds(created));

            Path kubeconfig = Files.createTempFile("bench-kubeconfig", ".yaml");
            Files.writeString(kubeconfig, server.getKubeConfigYaml());
            int management = TestNetwork.freePort();
            Path log = Path.of("target", "audit-benchmark.log");
            long started = System.nanoTime();
            audit = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + heap, "-XX:+UseSerialGC", "-Dkubeconfig=" + kubeconfig,
                    "-Dquarkus.management.port=" + management, "-jar", jar.toString(), "audit")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            awaitReady(management, audit, log);
            double firstAudit = seconds(started);
            String metrics = get(management, "/q/metrics");
            if (Boolean.getBoolean("histogram")) {
                // What the live heap holds after the first audit (a full GC first): the top of the class histogram.
                List<String> lines = new String(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd")
                        .toString(), Long.toString(audit.pid()), "GC.class_histogram").start().getInputStream().readAllBytes())
                        .lines().limit(25).toList();
                lines.forEach(line -> System.out.println("[bench] histogram " + line));
            }
            long reports = client.genericKubernetesResources(AuditClusterResource.POLICY_REPORTS).inAnyNamespace().list().getItems().size();

            // One object's change reflected in its report: a violating Deployment fixed in place.
            long changed = System.nanoTime();
            client.resource(SampleManifests.compliant("bench-1", "app-1")).update();
            long fixedAfter = awaitFixed(client, "bench-1", "app-1");
            double update = (fixedAfter - changed) / 1e9;
            String after = get(management, "/q/metrics");

            System.out.printf("[bench] audit of %d workloads (+ %d Services, %d PDBs) in %d namespaces, -Xmx%s -XX:+UseSerialGC%n",
                    workloads, workloads, workloads, namespaces, heap);
            System.out.printf("[bench] first full audit reported (process start to ready): %.1f s (target <= 30 s)%n", firstAudit);
            System.out.printf("[bench] of which judging every object (scan): %.1f s%n",
                    value(metrics, "safeguard_audit_scan_duration_seconds_sum"));
            System.out.printf("[bench] objects judged: %.0f%n", value(after, "safeguard_audit_objects"));
            System.out.printf("[bench] heap used after the first audit: %.0f MiB, max %.0f MiB (target <= 256 MiB)%n",
                    sum(metrics, "jvm_memory_used_bytes", "area=\"heap\"") / 1048576, sum(metrics, "jvm_memory_max_bytes",
                            "area=\"heap\"") / 1048576);
            System.out.printf("[bench] process peak RSS: %d MiB%n", peakRssMiB(audit.pid()));
            System.out.printf("[bench] one Deployment fixed -> its report without the failure: %.2f s (target <= 2 s)%n", update);
            System.out.printf("[bench] report objects: %d for %d namespaces (target <= namespaces + 1)%n", reports, namespaces);
        } finally {
            if (audit != null) {
                audit.destroy();
                audit.waitFor();
            }
            server.stop();
        }
    }

    /** More client concurrency and QPS than the defaults, to fill the API server quickly. */
    static Config tuned(String kubeconfig) {
        Config config = Config.fromKubeconfig(kubeconfig);
        config.setMaxConcurrentRequests(256);
        config.setMaxConcurrentRequestsPerHost(256);
        config.setRequestTimeout(60_000);
        return config;
    }

    /**
     * Namespace i gets workloads/namespaces apps; every third app violates the deny rules (the careless sample).
     * Services are headless: the test API server's service IP range is far smaller than 10,000.
     */
    static void populate(KubernetesClient client, int workloads, int namespaces) throws Exception {
        for (int n = 0; n < namespaces; n++) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("bench-" + n).endMetadata()
                    .build()).create();
        }
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<?>> pending = new ArrayList<>();
        for (int i = 0; i < workloads; i++) {
            String namespace = "bench-" + (i % namespaces);
            String name = "app-" + i;
            boolean careless = i % 3 == 1;
            pending.add(pool.submit(() -> {
                client.resource(careless ? SampleManifests.careless(namespace, name)
                        : SampleManifests.compliant(namespace, name)).create();
                client.resource("""
                        apiVersion: v1
                        kind: Service
                        metadata: {name: %s, namespace: %s}
                        spec:
                          clusterIP: None
                          selector: {app: %s}
                          ports: [{port: 80, targetPort: 8080}]
                        """.formatted(name, namespace, name)).create();
                client.resource("""
                        apiVersion: policy/v1
                        kind: PodDisruptionBudget
                        metadata: {name: %s, namespace: %s}
                        spec:
                          maxUnavailable: 1
                          selector: {matchLabels: {app: %s}}
                        """.formatted(name, namespace, name)).create();
                return null;
            }));
        }
        for (Future<?> future : pending) {
            future.get();
        }
        pool.shutdown();
    }

    static void awaitReady(int port, Process audit, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (!audit.isAlive()) {
                throw new IllegalStateException("safeguard audit exited with " + audit.exitValue() + "; see " + log);
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("safeguard audit not ready after 5 minutes; see " + log);
    }

    @SuppressWarnings("unchecked")
    static long awaitFixed(KubernetesClient client, String namespace, String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            GenericKubernetesResource report = client.genericKubernetesResources(AuditClusterResource.POLICY_REPORTS).inNamespace(namespace)
                    .withName("kube-safeguard").get();
            List<Map<String, Object>> results = report == null ? List.of()
                    : (List<Map<String, Object>>) report.getAdditionalProperties().getOrDefault("results", List.of());
            boolean failing = results.stream().anyMatch(r -> "fail".equals(r.get("result"))
                    && ((List<Map<String, Object>>) r.get("resources")).stream().anyMatch(o -> name.equals(o.get("name"))));
            if (report != null && !failing) {
                return System.nanoTime();
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the report of " + namespace + " still shows " + name + " failing after 60 s");
    }

    static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of an unlabelled sample, or the sum of a labelled one's samples. */
    static double value(String metrics, String name) {
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
        double sum = 0;
        while (matcher.find()) {
            sum += Double.parseDouble(matcher.group(2));
        }
        return sum;
    }

    static double sum(String metrics, String name, String label) {
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$").matcher(metrics);
        double sum = 0;
        while (matcher.find()) {
            if (matcher.group(1).contains(label)) {
                double value = Double.parseDouble(matcher.group(2));
                sum += value > 0 ? value : 0; // max is -1 for pools without a limit
            }
        }
        return sum;
    }

    static long peakRssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
