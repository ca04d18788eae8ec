package dev.safeguard.cli;

import dev.safeguard.cluster.ApiObjects;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.Policy;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --cluster}: what a cluster runs now, read with the kubeconfig's credentials (as kubectl would), as the
 * {@link ManifestReader.Bundle} that {@code check} and {@code readiness} judge. Reads every kind the policy's
 * enabled rules judge, the kinds their context rules look at, and the owner kinds whose objects inherit
 * verdicts, so that a Pod of a Deployment is reported as inherited, not twice. One LIST per kind. ReplicaSets a
 * Deployment scaled to zero and keeps as rollout history run nothing and are left out.
 */
final class ClusterReader {

    private final String context;
    private final String namespace;

    /**
     * @param context   the kubeconfig context, or null for the current one
     * @param namespace only this namespace, or null for all of them
     */
    ClusterReader(String context, String namespace) {
        this.context = context;
        this.namespace = namespace;
    }

    ManifestReader.Bundle read(Policy policy) throws ManifestException {
        Config config;
        try {
            config = Config.autoConfigure(context);
        } catch (KubernetesClientException e) {
            throw new ManifestException("cannot use the kubeconfig" + (context == null ? "" : " context " + context) + ": "
                    + e.getMessage());
        }
        if (context != null && !context.equals(config.getCurrentContext() == null ? null
                : config.getCurrentContext().getName())) {
            throw new ManifestException("no context '" + context + "' in the kubeconfig");
        }
        String source = "cluster " + (config.getCurrentContext() == null ? config.getMasterUrl()
                : config.getCurrentContext().getName());
        List<Manifest> manifests = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            for (String kind : kinds(policy)) {
                ApiResource resource = ApiResource.of(kind).orElseThrow();
                var resources = client.genericKubernetesResources(ApiObjects.definition(resource));
                List<GenericKubernetesResource> items;
                try {
                    items = (namespace == null || !resource.namespaced() ? resources.inAnyNamespace()
                            : resources.inNamespace(namespace)).list().getItems();
                } catch (KubernetesClientException e) {
                    if (e.getCode() == 403 || e.getCode() == 404) {
                        skipped.add(source + ": cannot list " + resource.plural() + " (" + e.getCode() + "): "
                                + "rules that judge " + kind + " are not applied to them");
                        continue;
                    }
                    throw new ManifestException(source + ": listing " + resource.plural() + " failed: " + e.getMessage());
                }
                int index = 0;
                for (GenericKubernetesResource item : items) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> listed = client.getKubernetesSerialization().convertValue(item, Map.class);
                    Map<String, Object> object = ApiObjects.tree(listed, resource);
                    if (!ApiObjects.isRolloutHistory(object)) {
                        manifests.add(new Manifest(source, 1, ++index, 0, object));
                    }
                }
            }
        } catch (KubernetesClientException e) {
            throw new ManifestException(source + ": " + e.getMessage());
        }
        return new ManifestReader.Bundle(manifests, skipped, 1);
    }

    /** The kinds to read, known to {@link ApiResource}, in a stable order. */
    static Set<String> kinds(Policy policy) {
        Set<String> kinds = policy.judgedKinds();
        kinds.addAll(policy.contextKinds());
        kinds.removeIf(kind -> ApiResource.of(kind).isEmpty());
        return kinds;
    }
}
