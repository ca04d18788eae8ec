package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.marcnuri.helm.Helm;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The chart installed and upgraded with Helm against a real kube-apiserver (the binaries built by
 * scripts/build-kube-binaries.sh; skipped when they are missing). The API server accepts every object, and
 * helm upgrade keeps the self-signed CA and certificate, so an upgrade never breaks the running webhook. The
 * report CRDs accept the reports the background audit writes, and RBAC lets only the audit write them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartUpgradeTest {

    static final String KUBE_VERSION = Chart.KUBE_VERSION;
    static KubeAPIServer apiServer;
    static String kubeConfig;
    static KubernetesClient client;
    static final List<String> WARNINGS = new ArrayList<>();
    static boolean chartInstalled;

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
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfig))
                .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("warnings", new Interceptor() {
                    @Override
                    public void after(HttpRequest request, HttpResponse<?> response,
                            AsyncBody.Consumer<List<ByteBuffer>> consumer) {
                        List<String> warnings = response.headers("Warning");
                        if (warnings != null) {
                            synchronized (WARNINGS) {
                                WARNINGS.addAll(warnings);
                            }
                        }
                    }
                }))
                .build();
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
    @Order(1)
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
        assertThat(client.apps().deployments().inNamespace(Chart.NAMESPACE).withName(Chart.AUDIT).get()).isNotNull();
        assertThat(client.services().inNamespace(Chart.NAMESPACE).withName(Chart.AUDIT).get()).isNotNull();
        assertThat(client.network().v1().networkPolicies().inNamespace(Chart.NAMESPACE).withName(Chart.AUDIT).get())
                .isNotNull();
        for (String crd : ChartAuditTest.CRDS) {
            awaitEstablished(crd);
        }
        chartInstalled = true;
        podTemplateIsAdmittedUnderRestrictedPodSecurity(Chart.RELEASE);
        podTemplateIsAdmittedUnderRestrictedPodSecurity(Chart.AUDIT);

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
        for (String crd : ChartAuditTest.CRDS) {
            assertThat(client.apiextensions().v1().customResourceDefinitions().withName(crd).get())
                    .as("%s after the upgrade", crd).isNotNull();
        }
    }

    /** The API server's own answer (SubjectAccessReview) for the two ServiceAccounts the install made. */
    @Test
    @Order(2)
    void onlyTheAuditsServiceAccountMayWriteReports() {
        assumeTrue(chartInstalled, "the chart was not installed");
        String webhook = "system:serviceaccount:" + Chart.NAMESPACE + ":" + Chart.RELEASE;
        String audit = "system:serviceaccount:" + Chart.NAMESPACE + ":" + Chart.AUDIT;
        for (String[] report : ChartAuditTest.REPORT_RESOURCES) {
            String namespace = report[1].startsWith("cluster") ? null : "shop";
            String what = report[0] + "/" + report[1];
            for (String verb : ChartAuditTest.WRITE_VERBS) {
                assertThat(allowed(webhook, verb, report[0], report[1], namespace, ChartAuditTest.REPORT))
                        .as("the webhook may %s %s", verb, what).isFalse();
            }
            assertThat(allowed(webhook, "list", report[0], report[1], namespace, null)).as("webhook list %s", what).isFalse();
            assertThat(allowed(audit, "create", report[0], report[1], namespace, null)).as("audit create %s", what).isTrue();
            for (String verb : List.of("get", "update", "patch", "delete")) {
                assertThat(allowed(audit, verb, report[0], report[1], namespace, ChartAuditTest.REPORT))
                        .as("audit %s %s kube-safeguard", verb, what).isTrue();
                assertThat(allowed(audit, verb, report[0], report[1], namespace, "kyverno-report"))
                        .as("audit %s another tool's %s", verb, what).isFalse();
            }
            assertThat(allowed(audit, "list", report[0], report[1], namespace, null)).as("audit list %s", what).isTrue();
            assertThat(allowed(audit, "watch", report[0], report[1], namespace, null)).as("audit watch %s", what).isTrue();
        }
        for (String account : List.of(webhook, audit)) {
            assertThat(allowed(account, "list", "apps", "deployments", null, null)).as("%s lists Deployments", account).isTrue();
            assertThat(allowed(account, "watch", "", "pods", null, null)).as("%s watches Pods", account).isTrue();
            assertThat(allowed(account, "update", "apps", "deployments", "shop", "web")).as(account).isFalse();
            assertThat(allowed(account, "get", "", "secrets", "shop", "db")).as(account).isFalse();
        }
    }

    /**
     * The reports the audit writes (one per namespace, one cluster-scoped, both formats) are accepted as they are
     * meant to be written: strict field validation, no warning; and refused when a field breaks the schema.
     */
    @Test
    @Order(3)
    void theReportCrdsAcceptTheReportsTheAuditWrites() {
        assumeTrue(chartInstalled, "the chart was not installed");
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
                .serverSideApply();
        for (String[] kind : List.of(new String[] {"wgpolicyk8s.io/v1alpha2", "PolicyReport", "shop"},
                new String[] {"wgpolicyk8s.io/v1alpha2", "ClusterPolicyReport", null},
                new String[] {"openreports.io/v1alpha1", "Report", "shop"},
                new String[] {"openreports.io/v1alpha1", "ClusterReport", null})) {
            GenericKubernetesResource report = report(kind[0], kind[1], kind[2], "high");
            synchronized (WARNINGS) {
                WARNINGS.clear();
            }
            GenericKubernetesResource created = client.resource(report).fieldValidation(FieldValidateable.Validation.STRICT)
                    .create();
            synchronized (WARNINGS) {
                assertThat(WARNINGS).as("warnings for %s", kind[1]).isEmpty();
            }
            assertThat(created.getAdditionalProperties().get("results")).as(kind[1]).isEqualTo(report.getAdditionalProperties().get("results"));
            assertThat(created.getAdditionalProperties().get("summary")).as(kind[1]).isEqualTo(report.getAdditionalProperties().get("summary"));

            GenericKubernetesResource wrong = report(kind[0], kind[1], kind[2], "urgent");
            wrong.getMetadata().setName("wrong-severity");
            assertThatThrownBy(() -> client.resource(wrong).create())
                    .as("%s with severity urgent", kind[1])
                    .isInstanceOf(KubernetesClientException.class)
                    .hasMessageContaining("severity")
                    .hasMessageContaining("Unsupported value");
            GenericKubernetesResource unknown = report(kind[0], kind[1], kind[2], "high");
            unknown.getMetadata().setName("unknown-field");
            unknown.setAdditionalProperty("resultz", List.of());
            assertThatThrownBy(() -> client.resource(unknown).fieldValidation(FieldValidateable.Validation.STRICT).create())
                    .as("%s with an unknown field", kind[1])
                    .isInstanceOf(KubernetesClientException.class)
                    .hasMessageContaining("resultz");
        }
    }

    /**
     * What the e2e suite's "chart's default render" scenario does: every object of `helm template` with default
     * values created with strict field validation (an unknown or duplicate field is an error), without a
     * warning. Under another release name and namespace, beside the installed release; the CRDs, whose names
     * are fixed and which that release already created, are created as a dry run that must fail only because
     * they exist.
     */
    @Test
    @Order(4)
    void theDefaultRenderIsAcceptedWithStrictFieldValidationAndNoWarning() {
        assumeTrue(chartInstalled, "the chart was not installed");
        String release = "strict";
        String namespace = "strict-check";
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .create();
        String rendered = Chart.helm().template().withName(release).withNamespace(namespace)
                .withKubeVersion(KUBE_VERSION).call();
        // Untyped, as the e2e suite reads them: the API server, not the client's model, judges every field.
        List<GenericKubernetesResource> objects = new ArrayList<>();
        for (String document : rendered.split("(?m)^---\\s*$")) {
            if (document.lines().anyMatch(line -> line.startsWith("kind:"))) {
                objects.add(client.getKubernetesSerialization().unmarshal(document, GenericKubernetesResource.class));
            }
        }
        List<String> accepted = new ArrayList<>();
        try {
            for (GenericKubernetesResource object : objects) {
                String what = object.getKind() + "/" + object.getMetadata().getName();
                synchronized (WARNINGS) {
                    WARNINGS.clear();
                }
                if (object.getKind().equals("CustomResourceDefinition")) {
                    // The installed release owns it. A create decodes strictly and validates before it finds the
                    // name taken: AlreadyExists (409) means every field was known and valid.
                    assertThatThrownBy(() -> client.resource(object).dryRun()
                            .fieldValidation(FieldValidateable.Validation.STRICT).create())
                            .as(what).isInstanceOfSatisfying(KubernetesClientException.class,
                                    e -> assertThat(e.getCode()).as("%s: %s", what, e.getMessage()).isEqualTo(409));
                } else {
                    HasMetadata result = client.resource(object).fieldValidation(FieldValidateable.Validation.STRICT).create();
                    assertThat(result.getMetadata().getUid()).as(what).isNotBlank();
                }
                synchronized (WARNINGS) {
                    assertThat(WARNINGS).as("warnings for %s", what).isEmpty();
                }
                accepted.add(what);
            }
            assertThat(accepted).contains("Deployment/strict-kube-safeguard-audit", "Service/strict-kube-safeguard-audit",
                    "ClusterRole/strict-kube-safeguard-audit", "ServiceAccount/strict-kube-safeguard-audit",
                    "CustomResourceDefinition/policyreports.wgpolicyk8s.io",
                    "CustomResourceDefinition/clusterpolicyreports.wgpolicyk8s.io",
                    "CustomResourceDefinition/reports.openreports.io", "CustomResourceDefinition/clusterreports.openreports.io");
        } finally {
            // Its Service has no pods: never leave a webhook registered that nothing answers.
            client.admissionRegistration().v1().validatingWebhookConfigurations().withName("strict-kube-safeguard").delete();
        }
    }

    /** A report as the audit writes one: named kube-safeguard, labelled managed-by kube-safeguard. */
    static GenericKubernetesResource report(String apiVersion, String kind, String namespace, String severity) {
        GenericKubernetesResource report = new GenericKubernetesResourceBuilder().withApiVersion(apiVersion).withKind(kind)
                .withNewMetadata().withName(ChartAuditTest.REPORT).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "kube-safeguard").endMetadata()
                .build();
        Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("source", "kube-safeguard");
        result.put("policy", "platform");
        result.put("rule", "replicas-spread");
        result.put("category", "reliability");
        result.put("severity", severity);
        result.put("result", "fail");
        result.put("message", "all 3 replicas can be scheduled onto one node and fail together: add a topology spread");
        result.put("scored", true);
        result.put("timestamp", Map.of("seconds", 1767225600, "nanos", 0));
        result.put("resources", List.of(namespace == null
                ? Map.of("apiVersion", "v1", "kind", "Namespace", "name", "shop", "uid", "7a1c3c55-3f0e-4c7e-9a51-0c1c5e0b1a11")
                : Map.of("apiVersion", "apps/v1", "kind", "Deployment", "namespace", namespace, "name", "web",
                        "uid", "7a1c3c55-3f0e-4c7e-9a51-0c1c5e0b1a12")));
        result.put("properties", Map.of("action", "deny", "mode", "audit"));
        report.setAdditionalProperty("summary", Map.of("pass", 0, "fail", 1, "warn", 0, "error", 0, "skip", 0));
        report.setAdditionalProperty("results", List.of(result));
        if (apiVersion.startsWith("openreports.io")) {
            report.setAdditionalProperty("source", "kube-safeguard");
            report.setAdditionalProperty("configuration", Map.of("limits", Map.of("maxResults", 1000)));
        }
        return report;
    }

    static boolean allowed(String user, String verb, String group, String resource, String namespace, String name) {
        SubjectAccessReview review = client.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                .withNewSpec().withUser(user).withGroups("system:serviceaccounts", "system:authenticated")
                .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(resource)
                .withNamespace(namespace).withName(name).endResourceAttributes().endSpec().build());
        return review.getStatus().getAllowed();
    }

    static void awaitEstablished(String crd) {
        client.apiextensions().v1().customResourceDefinitions().withName(crd).waitUntilCondition(c -> c != null
                && c.getStatus() != null && c.getStatus().getConditions() != null
                && c.getStatus().getConditions().stream().anyMatch(condition -> condition.getType().equals("Established")
                        && condition.getStatus().equals("True")), 60, TimeUnit.SECONDS);
    }

    /**
     * The pod the Deployment would create passes the "restricted" Pod Security Standard: with the namespace
     * enforcing it, the API server's PodSecurity admission admits the pod (it stays Pending: no scheduler).
     */
    static void podTemplateIsAdmittedUnderRestrictedPodSecurity(String deploymentName) {
        client.namespaces().withName(Chart.NAMESPACE).edit(namespace -> {
            namespace.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", "restricted");
            return namespace;
        });
        Deployment deployment = client.apps().deployments().inNamespace(Chart.NAMESPACE).withName(deploymentName).get();
        String name = "pod-security-check-" + deploymentName;
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(Chart.NAMESPACE)
                .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
                .withSpec(deployment.getSpec().getTemplate().getSpec())
                .build();
        Pod created = client.pods().inNamespace(Chart.NAMESPACE).resource(pod).create();
        assertThat(created.getMetadata().getUid()).as(deploymentName).isNotBlank();
        client.pods().inNamespace(Chart.NAMESPACE).withName(name).withGracePeriod(0).delete();
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
