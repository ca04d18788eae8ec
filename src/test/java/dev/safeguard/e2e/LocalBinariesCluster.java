package dev.safeguard.e2e;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * kube-apiserver and etcd as local processes through fabric8 kube-api-test, and kube-controller-manager beside
 * them ({@link ControllerManager}), with the binaries that {@code scripts/build-kube-binaries.sh} builds from Go
 * modules (no Docker, no internet). The version is the one that script builds: k8s.io/kubernetes in
 * src/test/kube-binaries/apiserver/go.mod. No kubelet, no scheduler: Pods are created and stay Pending; Nodes
 * exist only where a scenario creates them ({@link Nodes}).
 *
 * <p>kube-api-test runs the API server with RBAC, service-account token signing (its own key pair, issuer
 * {@code https://localhost}) and the ServiceAccount admission plugin disabled; this class adds an audit log of
 * workload and Pod CREATEs ({@link #auditLog()}, {@code target/kube-apiserver-audit.log}) through
 * {@code withApiServerFlag}.
 *
 * <p>kube-api-test is kept offline (never downloads) unless {@code -Dsafeguard.e2e.download=true}: then,
 * on a machine with internet access, it downloads the binaries of that version itself (from the envtest
 * releases of kubernetes-sigs/controller-tools; {@code -Dsafeguard.e2e.kube-version=1.35.0} picks another
 * version if that index lacks this patch release).
 */
public final class LocalBinariesCluster implements KubeCluster {

    static final Path GO_MOD = Path.of("src", "test", "kube-binaries", "apiserver", "go.mod");
    private static final List<String> BINARIES = List.of("kube-apiserver", "etcd", "kubectl", "kube-controller-manager");
    static final Path AUDIT_LOG = Path.of("target", "kube-apiserver-audit.log").toAbsolutePath();
    private static final Path AUDIT_POLICY = Path.of("target", "kube-apiserver", "audit-policy.yaml").toAbsolutePath();
    /** Metadata (who, what, answer) of every CREATE of a workload or a Pod; nothing else. */
    private static final String AUDIT_POLICY_YAML = """
            apiVersion: audit.k8s.io/v1
            kind: Policy
            omitStages: [RequestReceived]
            rules:
              - level: Metadata
                verbs: [create]
                resources:
                  - {group: "", resources: [pods]}
                  - {group: apps, resources: [deployments, replicasets, daemonsets, statefulsets]}
                  - {group: batch, resources: [jobs, cronjobs]}
              - level: None
            """;

    private final String version = System.getProperty("safeguard.e2e.kube-version", kubernetesVersion());
    private final boolean download = Boolean.getBoolean("safeguard.e2e.download");
    private KubeAPIServer server;
    private ControllerManager controllerManager;
    private Config config;
    private String kubeConfigYaml;

    @Override
    public String name() {
        return "kube-apiserver " + version + " and kube-controller-manager (local binaries, kube-api-test)";
    }

    /** The k8s.io/kubernetes release the build script pins, without the leading v: "1.35.8". */
    static String kubernetesVersion() {
        try {
            Matcher matcher = Pattern.compile("(?m)^\\s*(?:require\\s+)?k8s\\.io/kubernetes\\s+v(\\d+\\.\\d+\\.\\d+)\\s*$")
                    .matcher(Files.readString(GO_MOD));
            if (!matcher.find()) {
                throw new IllegalStateException("no k8s.io/kubernetes requirement in " + GO_MOD);
            }
            return matcher.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where kube-api-test looks for this version: ~/.kubeapitest/k8s/1.35.8-linux-amd64 (KUBE_API_TEST_DIR moves the root). */
    Path binaryDirectory() {
        String root = Optional.ofNullable(System.getenv("KUBE_API_TEST_DIR"))
                .orElse(Path.of(System.getProperty("user.home"), ".kubeapitest").toString());
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
        String os = System.getProperty("os.name").toLowerCase().startsWith("linux") ? "linux"
                : System.getProperty("os.name").toLowerCase().startsWith("mac") ? "darwin" : "windows";
        return Path.of(root, "k8s", version + "-" + os + "-" + arch);
    }

    @Override
    public Optional<String> unavailable() {
        Path directory = binaryDirectory();
        // With the download switch, kube-api-test fetches the others itself; never kube-controller-manager.
        List<String> missing = BINARIES.stream().filter(b -> !download || b.equals("kube-controller-manager"))
                .filter(b -> !Files.isExecutable(directory.resolve(b))).toList();
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        String message = "Kubernetes binaries not found: " + String.join(", ", missing) + " missing in " + directory
                + ". Build them with `scripts/build-kube-binaries.sh` (needs Go; about 5 minutes the first time)";
        if (missing.equals(List.of("kube-controller-manager"))) {
            // kube-api-test's download (envtest binaries) has no kube-controller-manager.
            return Optional.of(message + "; kube-api-test's download does not include kube-controller-manager");
        }
        return Optional.of(message + ", or let kube-api-test download kube-apiserver, etcd and kubectl (needs internet): "
                + "./mvnw verify -Dsafeguard.e2e.download=true (kube-controller-manager still from the script)");
    }

    @Override
    public void start() {
        try {
            Files.createDirectories(AUDIT_POLICY.getParent());
            Files.writeString(AUDIT_POLICY, AUDIT_POLICY_YAML);
            Files.deleteIfExists(AUDIT_LOG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(version)
                // Never download unless asked to. (Not the KUBE_API_TEST_OFFLINE_MODE environment variable: in
                // kube-api-test 7.5.2 a string value of it fails with a ClassCastException.)
                .withOfflineMode(!download)
                // Leave ~/.kube/config alone.
                .withUpdateKubeConfig(false)
                // Who created which workload and Pod (the controllers' identities); blocking: written as each
                // request completes, not batched.
                .withApiServerFlag("--audit-policy-file", AUDIT_POLICY.toString())
                .withApiServerFlag("--audit-log-path", AUDIT_LOG.toString())
                .withApiServerFlag("--audit-log-format", "json")
                .withApiServerFlag("--audit-log-mode", "blocking")
                .build());
        server.start();
        kubeConfigYaml = server.getKubeConfigYaml();
        config = Config.fromKubeconfig(kubeConfigYaml);
        long started = System.nanoTime();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
            controllerManager = ControllerManager.start(binaryDirectory().resolve("kube-controller-manager"), kubeConfigYaml,
                    E2EPorts.controllerManager(), client);
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
        System.out.printf("[e2e] kube-controller-manager (%s) ready in %.1f s, log %s%n",
                String.join(",", ControllerManager.CONTROLLERS), (System.nanoTime() - started) / 1e9, ControllerManager.LOG);
    }

    @Override
    public Optional<Path> auditLog() {
        return Optional.of(AUDIT_LOG);
    }

    /** A kubeconfig for an administrator of the running API server (client certificate, CA data inline). */
    @Override
    public String kubeConfigYaml() {
        return kubeConfigYaml;
    }

    @Override
    public Config clientConfig() {
        return config;
    }

    @Override
    public String testMachineHost() {
        return "127.0.0.1";
    }

    @Override
    public void close() {
        if (controllerManager != null) {
            controllerManager.close();
        }
        if (server != null) {
            server.stop();
        }
    }
}
