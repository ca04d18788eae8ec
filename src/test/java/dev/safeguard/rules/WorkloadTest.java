package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadTest {

    static Map<String, Object> tree(String yaml) throws Exception {
        return ObjectTree.of(new YAMLMapper().readTree(yaml));
    }

    @Test
    void nullsAreDroppedAndIntegersAreLongs() throws Exception {
        Map<String, Object> object = tree("""
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicas: 3
                  paused:
                  template:
                    spec:
                      containers:
                        - name: web
                          livenessProbe:
                        -
                """);
        assertThat(ObjectTree.map(object, "spec")).doesNotContainKey("paused").containsEntry("replicas", 3L);
        Workload workload = Workload.of(object);
        assertThat(workload.containers()).hasSize(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> container = (Map<String, Object>) workload.containers().get(0);
        assertThat(container).doesNotContainKey("livenessProbe").containsEntry("type", "app");
    }

    @Test
    void podSpecIsFoundWhereverTheKindKeepsIt() throws Exception {
        Map<String, Object> cronJob = tree("""
                kind: CronJob
                metadata: {name: nightly, namespace: ops}
                spec:
                  jobTemplate:
                    spec:
                      template:
                        metadata: {labels: {app: nightly}}
                        spec:
                          initContainers: [{name: setup, image: busybox:1}]
                          containers: [{image: app:1}]
                """);
        Workload workload = Workload.of(cronJob);
        assertThat(workload.podSpecPath()).isEqualTo("spec.jobTemplate.spec.template.spec");
        assertThat(workload.podLabels()).containsEntry("app", "nightly");
        assertThat(workload.containers()).extracting(c -> String.valueOf(((Map<?, ?>) c).get("type"))).containsExactly("init", "app");
        assertThat(workload.containers()).extracting(c -> String.valueOf(((Map<?, ?>) c).get("name")))
                .containsExactly("setup", "<app container #1>");
        assertThat(workload.replicas()).isZero();
        assertThat(workload.reference()).isEqualTo("CronJob ops/nightly");
    }

    @Test
    void replicasDefaultToOneWhereTheApiDefaultsThem() throws Exception {
        assertThat(Workload.of(tree("{kind: Deployment, spec: {}}")).replicas()).isEqualTo(1);
        assertThat(Workload.of(tree("{kind: StatefulSet, spec: {replicas: 4}}")).replicas()).isEqualTo(4);
        assertThat(Workload.of(tree("{kind: Pod, spec: {}}")).replicas()).isEqualTo(1);
        assertThat(Workload.of(tree("{kind: DaemonSet, spec: {}}")).replicas()).isZero();
    }

    @Test
    void podWithOnlyEphemeralContainersOrNoneDoesNotCrash() throws Exception {
        Workload ephemeral = Workload.of(tree("""
                kind: Pod
                metadata: {generateName: debug-}
                spec:
                  ephemeralContainers: [{name: debugger, image: busybox:1}]
                """));
        assertThat(ephemeral.containers()).extracting(c -> String.valueOf(((Map<?, ?>) c).get("type"))).containsExactly("ephemeral");
        assertThat(ephemeral.reference()).isEqualTo("Pod debug-<generated>");
        assertThat(Workload.of(tree("{kind: Pod}")).containers()).isEmpty();
    }

    @Test
    void controllerReferencesAndTheOwnerKindsThatPassVerdictsOn() throws Exception {
        String pod = """
                kind: Pod
                metadata:
                  name: web-5d8f-x2x
                  ownerReferences: [{apiVersion: apps/v1, kind: %s, name: web-5d8f, uid: u1, controller: %s}]
                """;
        assertThat(ControllerReference.of(tree(pod.formatted("ReplicaSet", "true"))))
                .isEqualTo(new ControllerReference("apps/v1", "ReplicaSet", "web-5d8f", "u1"));
        assertThat(ControllerReference.of(tree(pod.formatted("ReplicaSet", "false")))).isNull();
        Ownership ownership = Ownership.BUILT_IN;
        assertThat(ownership.inherits("Pod", "ReplicaSet")).isTrue();
        assertThat(ownership.inherits("Pod", "Node")).isFalse();
        assertThat(ownership.inherits("ReplicaSet", "Deployment")).isTrue();
        assertThat(ownership.inherits("ReplicaSet", "ReplicaSet")).isFalse();
        assertThat(ownership.inherits("Job", "CronJob")).isTrue();
        assertThat(ownership.inherits("Pod", "Deployment")).isFalse();
        assertThat(ownership.mayHaveOwner("ReplicaSet")).isTrue();
        assertThat(ownership.mayHaveOwner("Job")).isTrue();
        assertThat(ownership.mayHaveOwner("Deployment")).isFalse();
        assertThat(ownership.mayHaveOwner("CronJob")).isFalse();
    }

    @Test
    void selectorSemantics() {
        Map<String, Object> labels = Map.of("app", "web", "tier", "front");
        assertThat(KubernetesFunctions.selectorMatches(Map.of(), labels)).isTrue();
        assertThat(KubernetesFunctions.selectorMatches(Map.of("matchLabels", Map.of("app", "web")), labels)).isTrue();
        assertThat(KubernetesFunctions.selectorMatches(Map.of("matchLabels", Map.of("app", "db")), labels)).isFalse();
        assertThat(KubernetesFunctions.selectorMatches(Map.of("matchExpressions", java.util.List.of(
                Map.of("key", "tier", "operator", "In", "values", java.util.List.of("front", "back")),
                Map.of("key", "canary", "operator", "DoesNotExist"))), labels)).isTrue();
        assertThat(KubernetesFunctions.selectorMatches(Map.of("matchExpressions", java.util.List.of(
                Map.of("key", "tier", "operator", "NotIn", "values", java.util.List.of("front")))), labels)).isFalse();
        assertThat(KubernetesFunctions.selectorMatches(null, labels)).isFalse();
    }
}
