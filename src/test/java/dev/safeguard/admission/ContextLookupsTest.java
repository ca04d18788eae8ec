package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.SampleManifests;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The context rules in the running webhook, with the informer caches built from a real API server
 * (kube-apiserver and etcd as local processes, {@link KubeApiServerResource}): objects created through the
 * API server reach the rules without a call per request. Skipped, with the reason, where the binaries are missing.
 */
@QuarkusTest
@EnabledIf(value = "apiServerAvailable", disabledReason = "kube-apiserver binaries not found (see the log)")
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = KubeApiServerResource.class, restrictToAnnotatedClass = true)
class ContextLookupsTest extends WebhookTestBase {

    @Inject
    KubernetesClient client;

    static boolean apiServerAvailable() {
        var reason = KubeApiServerResource.unavailable();
        reason.ifPresent(r -> System.err.printf("%n*** SKIPPED ContextLookupsTest: %s%n%n", r));
        return reason.isEmpty();
    }

    @BeforeAll
    static void announce() {
        System.out.println("[context] webhook judging with informer caches of a local kube-apiserver");
    }

    /** The webhook is ready only once every informer has synced; then context rules see the cluster. */
    @BeforeEach
    void awaitReady() {
        await("readiness with synced informer caches").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> management().get("/q/health/ready").statusCode() == 200);
    }

    void namespace(String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .serverSideApply();
    }

    void apply(String yaml) {
        client.resource(yaml).serverSideApply();
    }

    /** Posts {@code review} until the answer satisfies {@code expected}: the informer sees new objects within moments. */
    JsonNode awaitAnswer(String review, Predicate<JsonNode> expected) {
        JsonNode[] last = new JsonNode[1];
        await("the webhook's answer to reflect the cluster").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    last[0] = post(review);
                    return expected.test(last[0]);
                });
        return last[0];
    }

    static List<String> warnings(JsonNode response) {
        return texts(response.path("warnings"));
    }

    @Test
    void readinessNamesEveryCachedKind() {
        JsonNode health = Reviews.yaml(management().get("/q/health/ready").then().statusCode(200).extract().asString());
        JsonNode context = null;
        for (JsonNode check : health.path("checks")) {
            if ("context".equals(check.path("name").asText())) {
                context = check;
            }
        }
        assertThat(context).as(health.toString()).isNotNull();
        assertThat(context.path("status").asText()).isEqualTo("UP");
        for (String kind : List.of("PodDisruptionBudget", "Service", "Deployment", "StatefulSet", "ReplicaSet",
                "HorizontalPodAutoscaler", "DaemonSet", "Job", "CronJob", "ReplicationController")) {
            assertThat(context.path("data").path(kind).asText()).as(kind).isEqualTo("synced");
        }
    }

    @Test
    void aBudgetThatAllowsNoDisruptionForTheDeploymentItSelectsDeniesIt() {
        namespace("ctx-pdb");
        String deployment = Reviews.create(SampleManifests.compliant("ctx-pdb", "web"));
        apply("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web, namespace: ctx-pdb}
                spec:
                  minAvailable: 3
                  selector: {matchLabels: {app: web}}
                """);

        JsonNode response = awaitAnswer(deployment, r -> !r.path("allowed").asBoolean());

        String message = response.path("status").path("message").asText();
        assertThat(message).contains("Deployment ctx-pdb/web").contains("[pdb-allows-disruption]");
        // The budget exists, so pdb-for-replicas has nothing to say.
        assertThat(warnings(response)).noneMatch(w -> w.startsWith("[pdb-for-replicas]"));

        // Deleted from the cluster, gone from the cache: the same Deployment is allowed again.
        client.policy().v1().podDisruptionBudget().inNamespace("ctx-pdb").withName("web").delete();
        JsonNode after = awaitAnswer(deployment, r -> r.path("allowed").asBoolean());
        assertThat(warnings(after)).anyMatch(w -> w.startsWith("[pdb-for-replicas]"));
    }

    @Test
    void aMultiReplicaDeploymentWithNoBudgetInItsNamespaceIsWarned() {
        namespace("ctx-no-pdb");
        namespace("ctx-other");
        // A budget for the same labels in another namespace does not count.
        apply("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web, namespace: ctx-other}
                spec:
                  maxUnavailable: 1
                  selector: {matchLabels: {app: web}}
                """);
        String deployment = Reviews.create(SampleManifests.compliant("ctx-other", "web"));
        awaitAnswer(deployment, r -> warnings(r).stream().noneMatch(w -> w.startsWith("[pdb-for-replicas]")));

        JsonNode response = post(Reviews.create(SampleManifests.compliant("ctx-no-pdb", "web")));

        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(warnings(response)).anyMatch(w -> w.startsWith("[pdb-for-replicas] 3 replicas but no PodDisruptionBudget"));
    }

    @Test
    void aSecondServiceWithTheSameSelectorIsWarned() {
        namespace("ctx-svc");
        apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: ctx-svc}
                spec:
                  selector: {app: web}
                  ports: [{port: 80, targetPort: 8080}]
                """);
        String second = Reviews.create("""
                apiVersion: v1
                kind: Service
                metadata: {name: web-canary, namespace: ctx-svc}
                spec:
                  selector: {app: web}
                  ports: [{port: 80, targetPort: 8080}]
                """);

        JsonNode response = awaitAnswer(second,
                r -> warnings(r).stream().anyMatch(w -> w.startsWith("[unique-service-selector]")));

        assertThat(response.path("allowed").asBoolean()).isTrue();
        // The same Service judged on UPDATE is not its own duplicate.
        JsonNode update = post(Reviews.update("""
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: ctx-svc}
                spec:
                  selector: {app: web}
                  ports: [{port: 81, targetPort: 8080}]
                """, """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: ctx-svc}
                spec:
                  selector: {app: web}
                  ports: [{port: 80, targetPort: 8080}]
                """));
        assertThat(warnings(update)).noneMatch(w -> w.startsWith("[unique-service-selector]"));
    }

    static final String NODE_AGENT = """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: node-agent
              namespace: ctx-owner
              annotations:
                safeguard.dev/exempt: host-path, host-namespaces
                safeguard.dev/exempt-reason: reads node metrics from /proc on the node's network
            spec:
              selector: {matchLabels: {app: node-agent}}
              template:
                metadata: {labels: {app: node-agent}}
                spec:
                  hostNetwork: true
                  containers:
                    - name: agent
                      image: registry.example.com/agent:2.1.0
                      volumeMounts: [{name: proc, mountPath: /host/proc, readOnly: true}]
                  volumes:
                    - {name: proc, hostPath: {path: /proc}}
            """;

    /** The Pod the DaemonSet controller would create for {@code uid}, with what admission adds. */
    static String nodeAgentPod(String name, String uid) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: ctx-owner
                  labels: {app: node-agent, controller-revision-hash: 6b9f7c8d5}
                  ownerReferences:
                    - {apiVersion: apps/v1, kind: DaemonSet, name: node-agent, uid: %s, controller: true, blockOwnerDeletion: true}
                spec:
                  hostNetwork: true
                  nodeName: node-1
                  containers:
                    - name: agent
                      image: registry.example.com/agent:2.1.0
                      volumeMounts:
                        - {name: proc, mountPath: /host/proc, readOnly: true}
                        - {name: kube-api-access-7x2kq, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true}
                  volumes:
                    - {name: proc, hostPath: {path: /proc}}
                    - {name: kube-api-access-7x2kq, projected: {sources: [{serviceAccountToken: {path: token}}]}}
                """.formatted(name, uid);
    }

    @Test
    void thePodsOfAnExemptedDaemonSetInheritItsStandingAndAForgedOwnerEarnsNothing() {
        namespace("ctx-owner");
        String uid = client.resource(NODE_AGENT).serverSideApply().getMetadata().getUid();
        String byController = Reviews.createAs(nodeAgentPod("node-agent-a1", uid),
                "system:serviceaccount:kube-system:daemon-set-controller");
        double inheritedBefore = MetricsScrape.value(MetricsScrape.scrape(), "safeguard_inherited_violations_total",
                "rule=\"host-path\"", "owner_kind=\"DaemonSet\"");

        // Posted at once: the owner is in the informer cache, or else found by the bounded GET.
        JsonNode admitted = post(byController);

        assertThat(admitted.path("allowed").asBoolean()).as(admitted.toString()).isTrue();
        assertThat(warnings(admitted)).noneMatch(w -> w.contains("host-path") || w.contains("host-namespaces"));
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_inherited_violations_total",
                "rule=\"host-path\"", "owner_kind=\"DaemonSet\"")).isEqualTo(inheritedBefore + 1);

        // The same Pod created by a person: the ownerReference is not believed.
        JsonNode forged = post(Reviews.create(nodeAgentPod("node-agent-a2", uid)));
        assertThat(forged.path("allowed").asBoolean()).isFalse();
        assertThat(forged.path("status").path("message").asText())
                .contains("[host-path]").contains("[host-namespaces]")
                .contains("[ownership] DaemonSet node-agent is named as its controller but not trusted: the request "
                        + "comes from 'alice@example.com', not from the controller that creates Pods for DaemonSets");

        // The controller's identity with an ownerReference to an owner that does not exist (another uid).
        JsonNode stale = post(Reviews.createAs(nodeAgentPod("node-agent-a3", "0c0c0c0c-dead-4bee-f000-000000000000"),
                "system:serviceaccount:kube-system:daemon-set-controller"));
        assertThat(stale.path("allowed").asBoolean()).isFalse();
        assertThat(stale.path("status").path("message").asText()).contains("not 0c0c0c0c-dead-4bee-f000-000000000000");
    }
}
