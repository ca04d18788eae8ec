package dev.safeguard.e2e;

import io.fabric8.kubernetes.client.Config;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * k3s in a container through Testcontainers, where a Docker engine exists (a laptop, a hosted CI runner).
 * The API server in the container reaches the webhook on the test machine through Testcontainers' host
 * port forwarding, as {@code host.testcontainers.internal} (a name the test certificate carries).
 * The image is {@code -Dsafeguard.e2e.k3s.image}, by default a k3s of the same Kubernetes minor as the
 * local binaries.
 */
public final class K3sCluster implements KubeCluster {

    static final String DEFAULT_IMAGE = "rancher/k3s:v1.35.5-k3s1";

    private final String image = System.getProperty("safeguard.e2e.k3s.image", DEFAULT_IMAGE);
    private K3sContainer container;
    private Config config;
    private String kubeConfigYaml;

    @Override
    public String name() {
        return "k3s (" + image + ", Testcontainers)";
    }

    @Override
    public Optional<String> unavailable() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        return docker ? Optional.empty() : Optional.of("Docker not available: k3s provider skipped");
    }

    @Override
    public void start() {
        // Before the container starts: only containers started afterwards get the host.testcontainers.internal entry.
        Testcontainers.exposeHostPorts(E2EPorts.webhook(), E2EPorts.dead());
        container = new K3sContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("rancher/k3s"));
        container.start();
        kubeConfigYaml = container.getKubeConfigYaml();
        config = Config.fromKubeconfig(kubeConfigYaml);
    }

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
        return E2EWebhook.CONTAINER_HOST_ALIAS;
    }

    @Override
    public void close() {
        if (container != null) {
            container.stop();
        }
    }
}
