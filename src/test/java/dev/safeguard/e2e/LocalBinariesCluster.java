package dev.safeguard.e2e;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * kube-apiserver and etcd as local processes through fabric8 kube-api-test, with the binaries that
 * {@code scripts/build-kube-binaries.sh} builds from Go modules (no Docker, no internet). The version is
 * the one that script builds: k8s.io/kubernetes in src/test/kube-binaries/apiserver/go.mod.
 *
 * <p>kube-api-test is kept offline (never downloads) unless {@code -Dsafeguard.e2e.download=true}: then,
 * on a machine with internet access, it downloads the binaries of that version itself (from the envtest
 * releases of kubernetes-sigs/controller-tools; {@code -Dsafeguard.e2e.kube-version=1.35.0} picks another
 * version if that index lacks this patch release).
 */
public final class LocalBinariesCluster implements KubeCluster {

    static final Path GO_MOD = Path.of("src", "test", "kube-binaries", "apiserver", "go.mod");
    private static final List<String> BINARIES = List.of("kube-apiserver", "etcd", "kubectl");

    private final String version = System.getProperty("safeguard.e2e.kube-version", kubernetesVersion());
    private final boolean download = Boolean.getBoolean("safeguard.e2e.download");
    private KubeAPIServer server;
    private Config config;
    private String kubeConfigYaml;

    @Override
    public String name() {
        return "kube-apiserver " + version + " (local binaries, kube-api-test)";
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
        if (download) {
            return Optional.empty();
        }
        Path directory = binaryDirectory();
        List<String> missing = BINARIES.stream().filter(b -> !Files.isExecutable(directory.resolve(b))).toList();
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("kube-apiserver binaries not found: " + String.join(", ", missing) + " missing in " + directory
                + ". Build them with `scripts/build-kube-binaries.sh` (needs Go; about 6 minutes the first time), "
                + "or let kube-api-test download them (needs internet): ./mvnw verify -Dsafeguard.e2e.download=true");
    }

    @Override
    public void start() {
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(version)
                // Never download unless asked to. (Not the KUBE_API_TEST_OFFLINE_MODE environment variable: in
                // kube-api-test 7.5.2 a string value of it fails with a ClassCastException.)
                .withOfflineMode(!download)
                // Leave ~/.kube/config alone.
                .withUpdateKubeConfig(false)
                .build());
        server.start();
        kubeConfigYaml = server.getKubeConfigYaml();
        config = Config.fromKubeconfig(kubeConfigYaml);
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
        if (server != null) {
            server.stop();
        }
    }
}
