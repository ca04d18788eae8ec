package dev.safeguard.e2e;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Node objects created through the API, for controllers that place Pods per Node (DaemonSets). There is no
 * kubelet behind them: they are Ready and schedulable because their status says so, and nothing ever updates
 * them (the local provider runs no node lifecycle controller, which would otherwise mark them unreachable
 * after 50 s without a heartbeat).
 */
final class Nodes {

    /** Carried by every Node made here: select it (nodeSelector) to keep a real cluster's own Nodes out. */
    static final String LABEL = "safeguard.dev/e2e-node";

    private Nodes() {
    }

    /**
     * Makes sure Nodes {@code e2e-node-1} to {@code e2e-node-<count>} exist, Ready, untainted and labelled
     * {@link #LABEL}{@code =true}, and returns their names. Idempotent; the Nodes live as long as the cluster.
     */
    static List<String> ensure(KubernetesClient client, int count) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String name = "e2e-node-" + i;
            names.add(name);
            if (client.nodes().withName(name).get() == null) {
                client.nodes().resource(new NodeBuilder()
                        .withNewMetadata().withName(name).withLabels(Map.of(
                                "kubernetes.io/hostname", name,
                                "kubernetes.io/os", "linux",
                                "kubernetes.io/arch", "amd64",
                                LABEL, "true")).endMetadata()
                        .withNewSpec().endSpec()
                        .build()).create();
            }
            // The TaintNodesByCondition admission plugin taints every new Node node.kubernetes.io/not-ready:NoSchedule;
            // a node lifecycle controller would lift it once the Node reports Ready. None runs here: lift it ourselves
            // (only a CREATE is tainted), or the DaemonSet controller places nothing on the Node.
            client.nodes().withName(name).edit(node -> new NodeBuilder(node).editSpec().withTaints().endSpec().build());
            String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            client.nodes().withName(name).editStatus(node -> new NodeBuilder(node).withStatus(new NodeStatusBuilder()
                    .withConditions(new NodeConditionBuilder().withType("Ready").withStatus("True")
                            .withReason("KubeletReady").withMessage("e2e: a Node object with no kubelet behind it")
                            .withLastHeartbeatTime(now).withLastTransitionTime(now).build())
                    .withCapacity(resources())
                    .withAllocatable(resources())
                    .build()).build());
        }
        return names;
    }

    private static Map<String, Quantity> resources() {
        return Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110"));
    }
}
