package dev.safeguard.cluster;

import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.ControllerReference;
import dev.safeguard.rules.ObjectTree;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Objects read from the API server, as the engine reads them, for the informers here and for
 * {@code safeguard check --cluster}: where a kind is served, and a listed object as a normalised tree. Plain:
 * no server, no client instance.
 */
public final class ApiObjects {

    private ApiObjects() {
    }

    /** The fabric8 resource definition of a kind, for generic (untyped) reads. */
    public static ResourceDefinitionContext definition(ApiResource resource) {
        return new ResourceDefinitionContext.Builder()
                .withGroup(resource.group()).withVersion(resource.version()).withPlural(resource.plural())
                .withKind(resource.kind()).withNamespaced(resource.namespaced())
                .build();
    }

    /**
     * True for a ReplicaSet its Deployment scaled to zero and keeps only as rollout history (revisionHistoryLimit):
     * it runs nothing, and its template is an old revision, so judging "what runs" leaves it out.
     */
    public static boolean isRolloutHistory(Map<String, Object> object) {
        return "ReplicaSet".equals(ObjectTree.string(object, "kind"))
                && ObjectTree.get(object, "spec", "replicas") instanceof Number replicas && replicas.longValue() == 0
                && ControllerReference.of(object) != null;
    }

    /**
     * A listed object (as a JSON-like map) as the engine reads it: {@code kind} and {@code apiVersion} set (list
     * results lack them), {@code metadata.managedFields} left out (large, and no rule reads them), normalised.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> tree(Map<String, Object> listed, ApiResource resource) {
        Map<String, Object> map = new LinkedHashMap<>(listed);
        map.put("kind", resource.kind());
        map.put("apiVersion", resource.apiVersion());
        if (map.get("metadata") instanceof Map<?, ?> metadata && metadata.containsKey("managedFields")) {
            Map<String, Object> trimmed = new LinkedHashMap<>((Map<String, Object>) metadata);
            trimmed.remove("managedFields");
            map.put("metadata", trimmed);
        }
        return (Map<String, Object>) ObjectTree.ofValueInterned(map);
    }
}
