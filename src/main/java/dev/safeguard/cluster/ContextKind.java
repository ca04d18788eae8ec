package dev.safeguard.cluster;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;
import java.util.Optional;

/**
 * A kind a rule may declare in {@code related:} and where the API server serves it. Only these kinds can be
 * watched; a rule asking for another one sees no context for it (and the start-up log says so).
 */
record ContextKind(String kind, String group, String version, String plural) {

    static final Map<String, ContextKind> KNOWN = Map.of(
            "PodDisruptionBudget", new ContextKind("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets"),
            "Service", new ContextKind("Service", "", "v1", "services"),
            "Deployment", new ContextKind("Deployment", "apps", "v1", "deployments"),
            "StatefulSet", new ContextKind("StatefulSet", "apps", "v1", "statefulsets"),
            "ReplicaSet", new ContextKind("ReplicaSet", "apps", "v1", "replicasets"),
            "HorizontalPodAutoscaler",
            new ContextKind("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers"));

    static Optional<ContextKind> of(String kind) {
        return Optional.ofNullable(KNOWN.get(kind));
    }

    /** {@code policy/v1}, or {@code v1} for the core group. */
    String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    ResourceDefinitionContext definition() {
        return new ResourceDefinitionContext.Builder()
                .withGroup(group).withVersion(version).withPlural(plural).withKind(kind).withNamespaced(true)
                .build();
    }
}
