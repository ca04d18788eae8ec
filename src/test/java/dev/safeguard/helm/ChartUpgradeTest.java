package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.marcnuri.helm.Helm;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart installed and upgraded with Helm against a real kube-apiserver (the binaries built by
 * scripts/build-kube-binaries.sh; skipped when they are missing). The API server accepts every object, and
 * helm upgrade keeps the self-signed CA and certificate, so an upgrade never breaks the running webhook.
 */
class ChartUpgradeTest {

    static final String KUBE_VERSION = Chart.KUBE_VERSION;
    static KubeAPIServer apiServer;
    static String kubeConfig;
    static KubernetesClient client;

    @BeforeAll
    static void startApiServer() {
        String root = System.getenv().getOrDefault("KUBE_API_TEST_DIR",
                Path.of(System.getProperty("user.home"), ".kubeapitest").toString());
        Path binaries = Path.of(root, "k8s", KUBE_VERSION + "-linux-amd64");
        assumeTrue(Files.isExecutable(binaries.resolve("kube-apiserver")) && Files.isExecutable(binaries.resolve("etcd")),
                "no kube-apiserver/etcd " + KUBE_VERSION + " in " + binaries + ": run scripts/build-kube-binaries.sh");
        apiServer = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(KUBE_VERSION)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .build());
        apiServer.start();
        kubeConfig = apiServer.getKubeConfigYaml();
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfig)).build();
    }

    @AfterAll
    static void stopApiServer() {
        if (client != null) {
            client.close();
        }
        if (apiServer != null) {
            apiServer.stop();
        }
    }

    @Test
    void upgradeKeepsTheSelfSignedCertificateAndTheApiServerAcceptsEveryObject() {
        Helm chart = Chart.helm();
        // The optional objects without CRDs are switched on so the API server validates them too.
        chart.install().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE).createNamespace()
                .set("networkPolicy.enabled", "true").set("metrics.dashboard.enabled", "true")
                .withKubeConfigContents(kubeConfig).call();

        Secret installed = secret();
        String caBundle = caBundle();
        assertThat(installed.getData()).containsKeys("ca.crt", "tls.crt", "tls.key");
        assertThat(caBundle).isEqualTo(installed.getData().get("ca.crt"));
        assertThat(client.apps().deployments().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE).get()).isNotNull();
        assertThat(client.policy().v1().podDisruptionBudget().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE).get())
                .isNotNull();
        assertThat(client.network().v1().networkPolicies().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE).get())
                .isNotNull();
        podTemplateIsAdmittedUnderRestrictedPodSecurity();

        chart.upgrade().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE).reuseValues()
                .set("policy.mode", "enforce").withKubeConfigContents(kubeConfig).call();

        assertThat(client.configMaps().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE + "-policy").get()
                .getData().get("policy.yaml")).contains("mode: enforce");
        assertThat(client.network().v1().networkPolicies().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE).get())
                .as("--reuse-values keeps the other values").isNotNull();
        Map<String, String> upgraded = secret().getData();
        assertThat(upgraded).as("helm upgrade must reuse the certificate, not generate a new one")
                .isEqualTo(installed.getData());
        assertThat(caBundle()).as("the caBundle the API server trusts is unchanged").isEqualTo(caBundle);
    }

    /**
     * The pod the Deployment would create passes the "restricted" Pod Security Standard: with the namespace
     * enforcing it, the API server's PodSecurity admission admits the pod (it stays Pending: no scheduler).
     */
    static void podTemplateIsAdmittedUnderRestrictedPodSecurity() {
        client.namespaces().withName(Chart.NAMESPACE).edit(namespace -> {
            namespace.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", "restricted");
            return namespace;
        });
        Deployment deployment = client.apps().deployments().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE).get();
        Pod pod = new PodBuilder()
                .withNewMetadata().withName("pod-security-check").withNamespace(Chart.NAMESPACE)
                .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
                .withSpec(deployment.getSpec().getTemplate().getSpec())
                .build();
        Pod created = client.pods().inNamespace(Chart.NAMESPACE).resource(pod).create();
        assertThat(created.getMetadata().getUid()).isNotBlank();
        client.pods().inNamespace(Chart.NAMESPACE).withName("pod-security-check").withGracePeriod(0).delete();
    }

    static Secret secret() {
        Secret secret = client.secrets().inNamespace(Chart.NAMESPACE).withName(Chart.RELEASE + "-tls").get();
        assertThat(secret).as("Secret %s-tls", Chart.RELEASE).isNotNull();
        return secret;
    }

    static String caBundle() {
        ValidatingWebhookConfiguration configuration = client.admissionRegistration().v1()
                .validatingWebhookConfigurations().withName(Chart.RELEASE).get();
        assertThat(configuration).isNotNull();
        return configuration.getWebhooks().get(0).getClientConfig().getCaBundle();
    }
}
