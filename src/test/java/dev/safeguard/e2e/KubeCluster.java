package dev.safeguard.e2e;

import io.fabric8.kubernetes.client.Config;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Kubernetes API server the e2e suite drives, with the controllers that create ReplicaSets, Pods and Jobs.
 * One suite, several providers: local kube-apiserver, etcd and kube-controller-manager binaries
 * ({@link LocalBinariesCluster}, must run everywhere the project builds) and k3s in a container
 * ({@link K3sCluster}, where a Docker engine exists). Started at most once per provider per test run by
 * {@link ClusterExtension}.
 */
public interface KubeCluster extends AutoCloseable {

    /** For messages: what runs the API server, and which version. */
    String name();

    /**
     * Why this provider cannot run here (no binaries, no Docker), saying what to do about it; empty when it can.
     * The suite is then skipped, loudly, and never counted as coverage.
     */
    Optional<String> unavailable();

    /** Starts the API server and the controllers and waits until they are ready. */
    void start();

    /** fabric8 client configuration for an administrator of the cluster. */
    Config clientConfig();

    /** The same administrator as a kubeconfig, for the packaged webhook's informers (context lookups). */
    String kubeConfigYaml();

    /**
     * The API server's audit log (JSON lines) of the CREATEs of workloads and Pods, with who sent each, where the
     * provider writes one ({@link LocalBinariesCluster}); empty where it cannot.
     */
    default Optional<Path> auditLog() {
        return Optional.empty();
    }

    /** The host under which the API server reaches a port opened on the machine running the tests. */
    String testMachineHost();

    @Override
    void close();
}
