package dev.safeguard.rules;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where the API server serves a kind a rule may name: group, version, plural resource name, and whether it is
 * namespaced. One table for every place that turns a rule's kinds into API terms: the ValidatingAdmissionPolicy
 * export (resource rules) and the webhook's context lookups (what to watch). Data only; no client here.
 */
public record ApiResource(String kind, String group, String version, String plural, boolean namespaced) {

    private static final Map<String, ApiResource> KNOWN = index(
            namespaced("Pod", "", "v1", "pods"),
            namespaced("Service", "", "v1", "services"),
            namespaced("ConfigMap", "", "v1", "configmaps"),
            namespaced("Secret", "", "v1", "secrets"),
            namespaced("ServiceAccount", "", "v1", "serviceaccounts"),
            namespaced("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims"),
            namespaced("ReplicationController", "", "v1", "replicationcontrollers"),
            new ApiResource("Namespace", "", "v1", "namespaces", false),
            namespaced("Deployment", "apps", "v1", "deployments"),
            namespaced("StatefulSet", "apps", "v1", "statefulsets"),
            namespaced("DaemonSet", "apps", "v1", "daemonsets"),
            namespaced("ReplicaSet", "apps", "v1", "replicasets"),
            namespaced("Job", "batch", "v1", "jobs"),
            namespaced("CronJob", "batch", "v1", "cronjobs"),
            namespaced("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets"),
            namespaced("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers"),
            namespaced("Ingress", "networking.k8s.io", "v1", "ingresses"),
            namespaced("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies"),
            namespaced("Role", "rbac.authorization.k8s.io", "v1", "roles"),
            namespaced("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings"));

    private static ApiResource namespaced(String kind, String group, String version, String plural) {
        return new ApiResource(kind, group, version, plural, true);
    }

    private static Map<String, ApiResource> index(ApiResource... resources) {
        Map<String, ApiResource> byKind = new HashMap<>();
        for (ApiResource resource : resources) {
            byKind.put(resource.kind(), resource);
        }
        return Map.copyOf(byKind);
    }

    public static Optional<ApiResource> of(String kind) {
        return Optional.ofNullable(KNOWN.get(kind));
    }

    /** {@code policy/v1}, or {@code v1} for the core group. */
    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }
}
