package dev.safeguard.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safeguard.rules.InMemoryRelatedObjects;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RelatedObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the informer cache hands the engine, without a cluster: the store fed as the informer feeds it. */
class KindCacheTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** As a list from the API server delivers it: no kind or apiVersion on the items. */
    static GenericKubernetesResource pdb(String namespace, String name, String resourceVersion, int minAvailable) {
        GenericKubernetesResource pdb = SERIALIZATION.unmarshal("""
                {"metadata": {"name": "%s", "namespace": "%s", "uid": "uid-%s-%s", "resourceVersion": "%s",
                              "labels": null,
                              "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
                 "spec": {"minAvailable": %d, "selector": {"matchLabels": {"app": "web"}}}}
                """.formatted(name, namespace, namespace, name, resourceVersion, minAvailable),
                GenericKubernetesResource.class);
        return pdb;
    }

    private final AtomicInteger conversions = new AtomicInteger();
    private final KindCache cache = new KindCache(ContextKind.of("PodDisruptionBudget").orElseThrow(), object -> {
        conversions.incrementAndGet();
        @SuppressWarnings("unchecked")
        Map<String, Object> map = SERIALIZATION.convertValue(object, Map.class);
        return map;
    });

    /** As the informer does: put under fabric8's key. */
    void put(GenericKubernetesResource object) {
        cache.put(cache.getKey(object), object);
    }

    @Test
    void objectsCarryKindAndApiVersionAreNormalisedAndLeaveManagedFieldsOut() {
        put(pdb("shop", "web", "7", 3));

        List<Map<String, Object>> found = cache.list("shop");

        assertThat(found).hasSize(1);
        Map<String, Object> tree = found.get(0);
        assertThat(tree).containsEntry("kind", "PodDisruptionBudget").containsEntry("apiVersion", "policy/v1");
        assertThat(ObjectTree.get(tree, "spec", "minAvailable")).isEqualTo(3L);
        assertThat(ObjectTree.get(tree, "spec", "selector", "matchLabels", "app")).isEqualTo("web");
        assertThat(ObjectTree.map(tree, "metadata")).containsEntry("name", "web").containsEntry("namespace", "shop")
                .doesNotContainKey("managedFields").doesNotContainKey("labels");
        // What ObjectTree builds: the engine can use it as it is (normalised() is true).
        assertThat(ObjectTree.ofValue(tree)).isEqualTo(tree);
        assertThat(cache.get("shop", "web")).isSameAs(tree);
    }

    @Test
    void onlyTheAskedNamespaceAndNeverTheUnknownOne() {
        put(pdb("shop", "web", "1", 2));
        put(pdb("shop", "api", "2", 2));
        put(pdb("billing", "web", "3", 2));

        assertThat(cache.list("shop")).extracting(t -> ObjectTree.string(t, "metadata", "name"))
                .containsExactlyInAnyOrder("web", "api");
        assertThat(cache.list("billing")).extracting(t -> ObjectTree.string(t, "metadata", "namespace"))
                .containsExactly("billing");
        assertThat(cache.list("default")).isEmpty();
        assertThat(cache.list(null)).isEmpty();
        assertThat(cache.all()).hasSize(3);
    }

    @Test
    void heldOnceConvertedOncePerPutAndGoneOnRemove() {
        put(pdb("shop", "web", "7", 3));
        cache.list("shop");
        cache.list("shop");
        cache.get("shop", "web");
        assertThat(conversions).hasValue(1);

        GenericKubernetesResource previous = cache.put("shop/web", pdb("shop", "web", "8", 1));
        assertThat(ObjectTree.get(cache.list("shop").get(0), "spec", "minAvailable")).isEqualTo(1L);
        assertThat(conversions).hasValue(2);
        assertThat(cache.size()).isEqualTo(1);
        // The informer gets metadata back (for its keys, relists and update events), not a second full copy.
        assertThat(cache.isFullState()).isFalse();
        assertThat(previous.getMetadata().getResourceVersion()).isEqualTo("7");
        assertThat(previous.getMetadata().getNamespace()).isEqualTo("shop");
        assertThat(previous.getAdditionalProperties()).doesNotContainKey("spec");

        cache.remove("shop/web");
        assertThat(cache.size()).isZero();
        assertThat(cache.list("shop")).isEmpty();
        assertThat(cache.get("shop", "web")).isNull();
    }

    @Test
    void everyKindTheBuiltInRulesDeclareHasAnInformerDefinition() throws Exception {
        var pack = new dev.safeguard.rules.RuleLoader(new dev.safeguard.rules.RuleCompiler()).loadBuiltInPack();
        var kinds = dev.safeguard.rules.Policy.builtIn(pack).relatedKinds();
        assertThat(kinds).containsExactlyInAnyOrder("PodDisruptionBudget", "Service", "Deployment", "StatefulSet",
                "ReplicaSet", "HorizontalPodAutoscaler");
        assertThat(ContextKind.WATCHABLE).containsAll(kinds);
        assertThat(ContextKind.of("HorizontalPodAutoscaler").orElseThrow().apiVersion()).isEqualTo("autoscaling/v2");
        assertThat(ContextKind.of("Service").orElseThrow().apiVersion()).isEqualTo("v1");
        assertThat(ApiObjects.definition(ContextKind.of("Service").orElseThrow()).getPlural()).isEqualTo("services");
    }

    @Test
    void theEngineJudgesADeploymentAgainstTheCachedBudget() throws Exception {
        put(pdb("shop", "web-pdb", "7", 3));
        RelatedObjects related = new RelatedObjects() {
            @Override
            public List<Map<String, Object>> list(String kind, String namespace) {
                return kind.equals("PodDisruptionBudget") ? cache.list(namespace) : List.of();
            }

            @Override
            public boolean normalised() {
                return true;
            }
        };
        var pack = new dev.safeguard.rules.RuleLoader(new dev.safeguard.rules.RuleCompiler()).loadBuiltInPack();
        var policy = dev.safeguard.rules.Policy.builtIn(pack);
        Map<String, Object> deployment = ObjectTree.of(new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(
                dev.safeguard.SampleManifests.compliant("shop", "web")));
        // compliant: 3 replicas, app=web
        var subject = new dev.safeguard.rules.Subject(deployment, null, "CREATE", "shop", Map.of(), false);
        var decision = new PolicyEngine().decide(policy, subject, related);
        assertThat(decision.denied()).extracting(v -> v.ruleId()).contains("pdb-allows-disruption");
        assertThat(new PolicyEngine().decide(policy, subject, new InMemoryRelatedObjects(List.of())).denied())
                .extracting(v -> v.ruleId()).doesNotContain("pdb-allows-disruption");
    }
}
