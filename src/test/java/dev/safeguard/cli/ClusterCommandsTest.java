package dev.safeguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safeguard.SampleManifests;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code check --cluster} and {@code readiness --cluster} against a real kube-apiserver (the binaries
 * scripts/build-kube-binaries.sh installs; skipped, loudly, without them), read with a kubeconfig as kubectl would.
 */
class ClusterCommandsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static KubeAPIServer server;
    static String previousKubeconfig;

    @BeforeAll
    static void start() throws Exception {
        String version = VapApiServerTest.VERSION;
        String root = System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest");
        boolean installed = Files.isExecutable(Path.of(root, "k8s", version + "-linux-amd64", "kube-apiserver"));
        if (!installed) {
            System.err.printf("%n*** SKIPPED ClusterCommandsTest: kube-apiserver %s not installed (scripts/build-kube-binaries.sh)%n%n",
                    version);
        }
        Assumptions.assumeTrue(installed, "kube-apiserver " + version + " not installed (scripts/build-kube-binaries.sh)");
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(version).withOfflineMode(true).withUpdateKubeConfig(false).build());
        server.start();
        Path kubeconfig = Files.createTempFile("safeguard-cluster-commands", ".yaml");
        Files.writeString(kubeconfig, server.getKubeConfigYaml());
        previousKubeconfig = System.setProperty("kubeconfig", kubeconfig.toString());
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
            for (String namespace : new String[] {"shop", "billing"}) {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                        .build()).create();
            }
            String uid = client.resource(SampleManifests.careless("shop", "api")).create().getMetadata().getUid();
            // An old revision its Deployment scaled to zero and keeps for rollbacks: runs nothing, not judged.
            client.resource("""
                    apiVersion: apps/v1
                    kind: ReplicaSet
                    metadata:
                      name: api-old
                      namespace: shop
                      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: %s, controller: true}]
                    spec:
                      replicas: 0
                      selector: {matchLabels: {app: api, pod-template-hash: old}}
                      template:
                        metadata: {labels: {app: api, pod-template-hash: old}}
                        spec:
                          containers: [{name: api, image: shop/api:0.9, securityContext: {privileged: true}}]
                    """.formatted(uid)).create();
            client.resource(SampleManifests.compliant("billing", "ledger")).create();
            client.resource("""
                    apiVersion: policy/v1
                    kind: PodDisruptionBudget
                    metadata: {name: ledger, namespace: billing}
                    spec:
                      maxUnavailable: 1
                      selector: {matchLabels: {app: ledger}}
                    """).create();
        }
    }

    @AfterAll
    static void stop() {
        if (previousKubeconfig == null) {
            System.clearProperty("kubeconfig");
        } else {
            System.setProperty("kubeconfig", previousKubeconfig);
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void checkJudgesWhatTheClusterRunsWithEveryReportFormat() throws Exception {
        Cli.Run all = Cli.run("check", "--cluster", "-o", "json");

        assertThat(all.exit()).as(all.out() + all.err()).isEqualTo(SafeguardCommand.VIOLATIONS);
        JsonNode report = JSON.readTree(all.out());
        assertThat(CheckCommandTest.rulesFor(all.out(), "api")).contains("replicas-spread", "image-tag");
        assertThat(CheckCommandTest.violation(all.out(), "api", "replicas-spread").path("action").asText()).isEqualTo("deny");
        assertThat(CheckCommandTest.rulesFor(all.out(), "ledger")).isEmpty();
        assertThat(report.path("summary").path("objectsWithViolations").asInt()).isEqualTo(1);
        assertThat(report.path("results").findValuesAsText("name")).contains("api", "ledger").doesNotContain("api-old");

        Cli.Run billing = Cli.run("check", "--cluster", "--namespace", "billing");
        assertThat(billing.exit()).as(billing.out() + billing.err()).isEqualTo(SafeguardCommand.OK);
        assertThat(billing.out()).contains("PASSED").doesNotContain("shop/api");

        Cli.Run sarif = Cli.run("check", "--cluster", "-o", "sarif");
        assertThat(JSON.readTree(sarif.out()).path("runs").get(0).path("results").size()).isPositive();
    }

    @Test
    void readinessSaysWhatEnforcingWouldDenyPerRuleAndNamespace() throws Exception {
        Cli.Run text = Cli.run("readiness", "--cluster");

        assertThat(text.exit()).as(text.out() + text.err()).isEqualTo(SafeguardCommand.OK);
        assertThat(text.out())
                .contains("Switching the policy to enforce mode (each rule keeping its action) would deny 1 object:")
                .containsPattern("shop +1 +Deployment shop/api")
                .containsPattern("replicas-spread +deny +shop +1 +Deployment shop/api")
                // warn-level today, would deny if set to deny
                .containsPattern("memory-limits +warn +shop +1 +Deployment shop/api")
                .containsPattern("Ready to deny everywhere today \\(nothing would be denied\\): .*privileged");

        JsonNode json = JSON.readTree(Cli.run("readiness", "--cluster", "-o", "json").out());
        assertThat(json.path("enforceMode").path("wouldDeny").asInt()).isEqualTo(1);
        assertThat(json.path("rules").path("replicas-spread").path("ready").asBoolean()).isFalse();
        assertThat(json.path("rules").path("replicas-spread").path("namespaces").path("shop").get(0).asText())
                .isEqualTo("Deployment shop/api");
        assertThat(json.path("rules").path("privileged").path("ready").asBoolean()).isTrue();
    }

    @Test
    void badClusterInputIsAClearExitTwo() {
        Cli.Run noContext = Cli.run("check", "--cluster", "--context", "nope");
        assertThat(noContext.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(noContext.err()).contains("no context 'nope' in the kubeconfig");

        Cli.Run both = Cli.run("check", "--cluster", "web.yaml");
        assertThat(both.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(both.err()).contains("give manifest paths or --cluster, not both");

        Cli.Run neither = Cli.run("readiness");
        assertThat(neither.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(neither.err()).contains("nothing to check");
    }
}
