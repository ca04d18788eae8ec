package dev.safeguard.helm;

import static dev.safeguard.helm.Chart.AUDIT;
import static dev.safeguard.helm.Chart.NAMESPACE;
import static dev.safeguard.helm.Chart.RELEASE;
import static dev.safeguard.helm.Chart.labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.rules.Ownership;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyLoader;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.helm.Chart.Render;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What an operator relies on in the rendered chart: objects that find each other (selectors, ports, names),
 * the webhook configuration, TLS in each mode, and the optional monitoring and network objects.
 */
class ChartRenderTest {

    static final String POLICY_DIRECTORY = "/etc/kube-safeguard/policy";
    static final String TLS_DIRECTORY = "/etc/kube-safeguard/tls";

    @Nested
    class Defaults {

        final Render render = Chart.render();

        @Test
        void rendersTheWebhookTheBackgroundAuditAndWhatTheyNeed() {
            assertThat(render.kinds()).containsExactlyInAnyOrder(
                    "ServiceAccount/" + RELEASE, "ClusterRole/" + RELEASE, "ClusterRoleBinding/" + RELEASE,
                    "ConfigMap/" + RELEASE + "-policy", "Secret/" + RELEASE + "-tls", "Service/" + RELEASE,
                    "Deployment/" + RELEASE, "PodDisruptionBudget/" + RELEASE,
                    "ValidatingWebhookConfiguration/" + RELEASE,
                    "ServiceAccount/" + AUDIT, "ClusterRole/" + AUDIT, "ClusterRoleBinding/" + AUDIT,
                    "Service/" + AUDIT, "Deployment/" + AUDIT,
                    "CustomResourceDefinition/policyreports.wgpolicyk8s.io",
                    "CustomResourceDefinition/clusterpolicyreports.wgpolicyk8s.io",
                    "CustomResourceDefinition/reports.openreports.io",
                    "CustomResourceDefinition/clusterreports.openreports.io");
        }

        @Test
        void everyNamespacedObjectNamesTheReleaseNamespace() {
            for (ObjectNode document : render.documents()) {
                String kind = document.path("kind").asText();
                if (Set.of("ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration",
                        "CustomResourceDefinition").contains(kind)) {
                    assertThat(document.path("metadata").has("namespace")).as(kind).isFalse();
                } else {
                    assertThat(document.path("metadata").path("namespace").asText()).as(kind).isEqualTo(NAMESPACE);
                }
            }
        }

        @Test
        void twoReplicasSpreadOverNodesWithADisruptionBudgetThatNeverBlocksADrain() {
            JsonNode spec = render.deployment().path("spec");
            assertThat(spec.path("replicas").asInt()).isEqualTo(2);
            assertThat(spec.path("strategy").path("rollingUpdate").path("maxUnavailable").asInt()).isZero();

            JsonNode spread = render.podSpec().path("topologySpreadConstraints");
            assertThat(spread).hasSize(1);
            assertThat(spread.get(0).path("topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
            assertThat(spread.get(0).path("whenUnsatisfiable").asText()).isEqualTo("ScheduleAnyway");
            assertThat(labels(spread.get(0).path("labelSelector").path("matchLabels"))).isEqualTo(selector());

            JsonNode pdb = render.one("PodDisruptionBudget").path("spec");
            assertThat(pdb.path("maxUnavailable").asInt()).isEqualTo(1);
            assertThat(pdb.has("minAvailable")).isFalse();
            assertThat(labels(pdb.path("selector").path("matchLabels"))).isEqualTo(selector());
        }

        @Test
        void selectorsMatchThePodLabels() {
            Map<String, String> podLabels = labels(render.deployment().path("spec").path("template")
                    .path("metadata").path("labels"));
            Map<String, String> serviceSelector = labels(render.named("Service", RELEASE).path("spec").path("selector"));
            assertThat(serviceSelector).isNotEmpty().isEqualTo(selector());
            assertThat(podLabels).containsAllEntriesOf(serviceSelector);
            assertThat(podLabels).containsAllEntriesOf(
                    labels(render.one("PodDisruptionBudget").path("spec").path("selector").path("matchLabels")));
        }

        @Test
        void servicePortsLeadToTheContainerPorts() {
            Map<String, Integer> containerPorts = new HashMap<>();
            render.container().path("ports").forEach(p -> containerPorts.put(p.path("name").asText(),
                    p.path("containerPort").asInt()));
            assertThat(containerPorts).containsEntry("webhook", 8443).containsEntry("management", 9000);

            Map<String, Integer> serviceTargets = new HashMap<>();
            for (JsonNode port : render.named("Service", RELEASE).path("spec").path("ports")) {
                JsonNode target = port.path("targetPort");
                int resolved = target.isInt() ? target.asInt() : containerPorts.getOrDefault(target.asText(), -1);
                assertThat(containerPorts).as("Service port %s targets %s", port.path("name").asText(), target)
                        .containsValue(resolved);
                serviceTargets.put(port.path("name").asText() + ":" + port.path("port").asInt(), resolved);
            }
            assertThat(serviceTargets).containsEntry("webhook:443", 8443).containsEntry("management:9000", 9000);
        }

        @Test
        void webhookCallsTheServiceOnValidate() {
            JsonNode service = render.webhook().path("clientConfig").path("service");
            assertThat(service.path("name").asText()).isEqualTo(RELEASE);
            assertThat(service.path("namespace").asText()).isEqualTo(NAMESPACE);
            assertThat(service.path("path").asText()).isEqualTo("/validate");
            int port = service.path("port").asInt();
            JsonNode servicePort = null;
            for (JsonNode candidate : render.named("Service", RELEASE).path("spec").path("ports")) {
                if (candidate.path("port").asInt() == port) {
                    servicePort = candidate;
                }
            }
            assertThat(servicePort).as("a Service port %d", port).isNotNull();
            assertThat(servicePort.path("targetPort").asText()).isEqualTo("webhook");
        }

        @Test
        void webhookIsSafeToRun() {
            ObjectNode webhook = render.webhook();
            assertThat(webhook.path("name").asText()).isEqualTo("validate.safeguard.dev");
            assertThat(webhook.path("sideEffects").asText()).isEqualTo("None");
            assertThat(strings(webhook.path("admissionReviewVersions"))).containsExactly("v1");
            assertThat(webhook.path("failurePolicy").asText()).isEqualTo("Ignore");
            assertThat(webhook.path("timeoutSeconds").asInt()).isEqualTo(5);
            assertThat(webhook.path("matchPolicy").asText()).isEqualTo("Equivalent");
            assertThat(render.env("SAFEGUARD_ADMISSION_ON_INTERNAL_ERROR")).isEqualTo("allow");
        }

        @Test
        void namespaceSelectorExcludesKubeSystemTheReleaseNamespaceAndIgnoredNamespaces() {
            assertThat(excludedNamespaces(render)).contains("kube-system", NAMESPACE);
            assertThat(ignoreLabelExpression(render)).isTrue();
        }

        @Test
        void rulesCoverEveryKindThePackEvaluatesOnCreateAndUpdate() {
            Set<String> resources = new TreeSet<>();
            for (JsonNode rule : render.webhook().path("rules")) {
                assertThat(strings(rule.path("operations"))).containsExactly("CREATE", "UPDATE");
                assertThat(rule.path("scope").asText()).isEqualTo("Namespaced");
                String group = rule.path("apiGroups").get(0).asText();
                rule.path("resources").forEach(r -> resources.add((group.isEmpty() ? "" : group + "/") + r.asText()));
            }
            assertThat(resources).containsExactlyInAnyOrder("pods", "pods/ephemeralcontainers", "services", "apps/deployments",
                    "apps/statefulsets", "apps/daemonsets", "apps/replicasets", "batch/jobs", "batch/cronjobs",
                    "policy/poddisruptionbudgets");
        }

        @Test
        void probesUseTheManagementPort() {
            ObjectNode container = render.container();
            Map<String, String> paths = Map.of("startupProbe", "/q/health/live", "livenessProbe", "/q/health/live",
                    "readinessProbe", "/q/health/ready");
            paths.forEach((probe, path) -> {
                JsonNode get = container.path(probe).path("httpGet");
                assertThat(get.path("path").asText()).as(probe).isEqualTo(path);
                assertThat(get.path("port").asText()).as(probe).isEqualTo("management");
                assertThat(get.path("scheme").asText("HTTP")).as(probe).isEqualTo("HTTP");
            });
        }

        @Test
        void requestsAndLimits() {
            JsonNode resources = render.container().path("resources");
            assertThat(resources.path("requests").path("cpu").asText()).isNotBlank();
            assertThat(resources.path("requests").path("memory").asText()).isNotBlank();
            assertThat(resources.path("limits").path("memory").asText()).isNotBlank();
            assertThat(render.env("JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=");
        }

        @Test
        void runsLockedDown() {
            JsonNode pod = render.podSpec().path("securityContext");
            assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
            assertThat(pod.path("runAsUser").asInt()).isPositive();
            assertThat(pod.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
            JsonNode container = render.container().path("securityContext");
            assertThat(container.path("allowPrivilegeEscalation").isBoolean()).isTrue();
            assertThat(container.path("allowPrivilegeEscalation").asBoolean()).isFalse();
            assertThat(container.path("readOnlyRootFilesystem").asBoolean()).isTrue();
            assertThat(container.path("runAsNonRoot").asBoolean()).isTrue();
            assertThat(container.path("privileged").asBoolean()).isFalse();
            assertThat(strings(container.path("capabilities").path("drop"))).containsExactly("ALL");
            assertThat(container.path("capabilities").has("add")).isFalse();
            assertThat(container.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
            assertThat(mountOf(render, "/tmp").path("name").asText()).isEqualTo("tmp");
            assertThat(volume(render, "tmp").has("emptyDir")).isTrue();
            assertThat(render.podSpec().path("hostNetwork").asBoolean(false)).isFalse();
        }

        @Test
        void serviceAccountTokenIsMountedForContextLookupsAndRbacIsReadOnly() {
            assertThat(render.podSpec().path("automountServiceAccountToken").asBoolean()).isTrue();
            String account = render.podSpec().path("serviceAccountName").asText();
            assertThat(render.named("ServiceAccount", RELEASE).path("metadata").path("name").asText()).isEqualTo(account);

            Set<String> granted = new TreeSet<>();
            for (JsonNode rule : render.named("ClusterRole", RELEASE).path("rules")) {
                assertThat(strings(rule.path("verbs"))).as("verbs").containsExactlyInAnyOrder("get", "list", "watch");
                String group = rule.path("apiGroups").get(0).asText();
                rule.path("resources").forEach(r -> granted.add((group.isEmpty() ? "" : group + "/") + r.asText()));
            }
            assertThat(granted).containsExactlyInAnyOrder("pods", "services", "namespaces", "replicationcontrollers",
                    "policy/poddisruptionbudgets", "apps/deployments", "apps/statefulsets", "apps/daemonsets",
                    "apps/replicasets", "batch/jobs", "batch/cronjobs", "autoscaling/horizontalpodautoscalers");

            JsonNode binding = render.named("ClusterRoleBinding", RELEASE);
            assertThat(binding.path("roleRef").path("name").asText()).isEqualTo(RELEASE);
            assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo(account);
            assertThat(binding.path("subjects").get(0).path("namespace").asText()).isEqualTo(NAMESPACE);
        }

        @Test
        void policyComesFromValuesInAuditModeAndIsMountedWhereTheServiceReadsIt() {
            JsonNode policy = render.policy();
            assertThat(policy.path("apiVersion").asText()).isEqualTo("safeguard.dev/v1alpha1");
            assertThat(policy.path("kind").asText()).isEqualTo("SafeguardPolicy");
            assertThat(policy.path("metadata").path("name").asText()).isEqualTo("platform");
            assertThat(policy.path("spec").path("mode").asText()).isEqualTo("audit");
            assertThat(policy.path("spec").path("rules").isArray()).isTrue();
            assertThat(policy.path("spec").path("customRules").isArray()).isTrue();
            assertThat(policy.path("spec").path("exclude").path("namespaces").isArray()).isTrue();

            assertThat(render.env("SAFEGUARD_POLICY_PATH")).isEqualTo(POLICY_DIRECTORY + "/policy.yaml");
            JsonNode mount = mountOf(render, POLICY_DIRECTORY);
            assertThat(mount.has("subPath")).as("subPath mounts are never updated by the kubelet").isFalse();
            assertThat(volume(render, mount.path("name").asText()).path("configMap").path("name").asText())
                    .isEqualTo(RELEASE + "-policy");
            assertThat(render.deployment().path("spec").path("template").path("metadata").path("annotations")
                    .toString()).as("no checksum annotation: the service hot-reloads the policy").doesNotContain("checksum");
        }

        @Test
        void serviceSettingsComeFromValues() {
            assertThat(render.env("SAFEGUARD_METRICS_NAMESPACE_LABEL")).isEqualTo("true");
            assertThat(render.env("SAFEGUARD_RATCHETING")).isEqualTo("true");
            assertThat(render.env("SAFEGUARD_CONTEXT_ENABLED")).as("context lookups on in the cluster").isEqualTo("true");
            assertThat(render.container().has("args")).as("no args: the image serves").isFalse();
            assertThat(render.container().path("image").asText())
                    .isEqualTo("registry.example.com/kube-safeguard:0.1.0-SNAPSHOT");
        }

        @Test
        void selfSignedCertificateIsTrustedThroughTheCaBundleAndLoadsInVertx() throws Exception {
            ObjectNode secret = render.one("Secret");
            assertThat(secret.path("type").asText()).isEqualTo("kubernetes.io/tls");
            String caBundle = render.webhook().path("clientConfig").path("caBundle").asText();
            assertThat(caBundle).isEqualTo(secret.path("data").path("ca.crt").asText());
            assertTlsSecretServes(secret, caBundle, render);
        }

        @Test
        void optionalObjectsAreOff() {
            assertThat(render.has("ServiceMonitor")).isFalse();
            assertThat(render.has("PrometheusRule")).isFalse();
            assertThat(render.has("NetworkPolicy")).isFalse();
            assertThat(render.all("ConfigMap")).hasSize(1);
        }

        Map<String, String> selector() {
            return labels(render.deployment().path("spec").path("selector").path("matchLabels"));
        }
    }

    @Test
    void enforceIsOneValue() {
        Render render = Chart.render("policy.mode", "enforce");
        assertThat(render.policy().path("spec").path("mode").asText()).isEqualTo("enforce");
    }

    @Test
    void policyOverridesCustomRulesAndExclusionsReachThePolicyFile() {
        Render render = Chart.render(Map.of(), """
                policy:
                  rules:
                    - id: image-tag
                      action: warn
                    - id: replicas-spread
                      params: {topologyKeys: [topology.kubernetes.io/zone]}
                  customRules:
                    - id: team-label
                      title: Workloads carry a team label
                      category: hygiene
                      action: warn
                      match: {kinds: [Deployment]}
                      validation: has(object.metadata.labels) && 'team' in object.metadata.labels
                      message: "'add a team label'"
                  exclude:
                    namespaces: [sandbox]
                """);
        JsonNode spec = render.policy().path("spec");
        assertThat(spec.path("rules").get(0).path("id").asText()).isEqualTo("image-tag");
        assertThat(spec.path("rules").get(0).path("action").asText()).isEqualTo("warn");
        assertThat(spec.path("rules").get(1).path("params").path("topologyKeys").get(0).asText())
                .isEqualTo("topology.kubernetes.io/zone");
        assertThat(spec.path("customRules").get(0).path("validation").asText()).startsWith("has(object.metadata.labels)");
        assertThat(strings(spec.path("exclude").path("namespaces"))).containsExactly("sandbox");
    }

    @Test
    void aTrustedControllerReachesThePolicyFileWhichLoadsAndItsOwnerKindCanBeRead() throws Exception {
        Render render = Chart.render(Map.of(), """
                policy:
                  ownership:
                    trustedControllers:
                      - username: system:serviceaccount:argo-rollouts:argo-rollouts
                        ownerKind: Rollout
                        ownerApiVersion: argoproj.io/v1alpha1
                rbac:
                  extraReadRules:
                    - {apiGroups: [argoproj.io], resources: [rollouts]}
                """);
        String policyFile = render.named("ConfigMap", RELEASE + "-policy").path("data").path("policy.yaml").asText();
        Policy policy = new PolicyLoader(new RuleLoader(new RuleCompiler()), new RuleLoader(new RuleCompiler())
                .loadBuiltInPack()).parse("chart policy.yaml", policyFile);

        assertThat(policy.ownership().trustedControllers()).containsExactly(new Ownership.TrustedController(
                "system:serviceaccount:argo-rollouts:argo-rollouts", "Rollout", "argoproj.io/v1alpha1", null));
        JsonNode extra = null;
        for (String role : List.of(RELEASE, Chart.AUDIT)) {
            extra = null;
            for (JsonNode rule : render.named("ClusterRole", role).path("rules")) {
                if (strings(rule.path("apiGroups")).contains("argoproj.io")) {
                    extra = rule;
                }
            }
            assertThat(extra).as("ClusterRole %s reads rollouts", role).isNotNull();
            assertThat(strings(extra.path("resources"))).containsExactly("rollouts");
            assertThat(strings(extra.path("verbs"))).containsExactly("get", "list", "watch");
        }
    }

    @Test
    void failurePolicyFailAlsoMakesTheServiceDenyOnInternalErrors() {
        Render render = Chart.render("webhook.failurePolicy", "Fail", "webhook.timeoutSeconds", "10");
        assertThat(render.webhook().path("failurePolicy").asText()).isEqualTo("Fail");
        assertThat(render.webhook().path("timeoutSeconds").asInt()).isEqualTo(10);
        assertThat(render.env("SAFEGUARD_ADMISSION_ON_INTERNAL_ERROR")).isEqualTo("deny");
    }

    @Test
    void extraExcludedNamespacesJoinTheAlwaysExcludedOnes() {
        Render render = Chart.render(Map.of(), "webhook: {excludeNamespaces: [monitoring, kube-system]}");
        assertThat(excludedNamespaces(render)).containsExactly("kube-system", NAMESPACE, "monitoring");
        assertThat(ignoreLabelExpression(render)).isTrue();
    }

    @Test
    void imageDigestReplacesTheTag() {
        String digest = "sha256:" + "a".repeat(64);
        Render render = Chart.render("image.repository", "registry.internal/kube-safeguard", "image.digest", digest);
        assertThat(render.container().path("image").asText()).isEqualTo("registry.internal/kube-safeguard@" + digest);
    }

    @Test
    void certManagerIssuesTheCertificateAndInjectsTheCa() {
        Render render = Chart.render("tls.mode", "certManager");
        assertThat(render.has("Secret")).as("cert-manager writes the Secret").isFalse();
        ObjectNode serving = render.named("Certificate", RELEASE + "-serving");
        JsonNode spec = serving.path("spec");
        assertThat(strings(spec.path("dnsNames"))).contains(RELEASE + "." + NAMESPACE + ".svc");
        assertThat(spec.path("secretName").asText()).isEqualTo(tlsVolumeSecret(render));
        assertThat(spec.path("privateKey").path("rotationPolicy").asText()).isEqualTo("Always");

        // The serving certificate is signed by a chart-made CA, so renewing it never changes the trusted CA.
        String issuer = spec.path("issuerRef").path("name").asText();
        JsonNode caIssuer = render.named("Issuer", issuer);
        String caSecret = caIssuer.path("spec").path("ca").path("secretName").asText();
        JsonNode ca = render.named("Certificate", RELEASE + "-ca").path("spec");
        assertThat(ca.path("isCA").asBoolean()).isTrue();
        assertThat(ca.path("secretName").asText()).isEqualTo(caSecret);
        assertThat(render.named("Issuer", ca.path("issuerRef").path("name").asText()).path("spec").has("selfSigned"))
                .isTrue();

        JsonNode configuration = render.one("ValidatingWebhookConfiguration");
        assertThat(configuration.path("metadata").path("annotations").path("cert-manager.io/inject-ca-from").asText())
                .isEqualTo(NAMESPACE + "/" + RELEASE + "-serving");
        assertThat(render.webhook().path("clientConfig").has("caBundle"))
                .as("cert-manager's CA injector fills caBundle").isFalse();
    }

    @Test
    void certManagerWithAnExistingIssuerCreatesNoIssuers() {
        Render render = Chart.render("tls.mode", "certManager", "tls.certManager.issuerRef.name", "platform-ca",
                "tls.certManager.issuerRef.kind", "ClusterIssuer");
        assertThat(render.has("Issuer")).isFalse();
        JsonNode issuerRef = render.one("Certificate").path("spec").path("issuerRef");
        assertThat(issuerRef.path("name").asText()).isEqualTo("platform-ca");
        assertThat(issuerRef.path("kind").asText()).isEqualTo("ClusterIssuer");
    }

    @Test
    void existingSecretIsMountedAndItsCaBundleTrusted() {
        String caBundle = Base64.getEncoder().encodeToString("-----BEGIN CERTIFICATE-----\n...".getBytes(StandardCharsets.UTF_8));
        Render render = Chart.render("tls.mode", "existingSecret", "tls.existingSecret.name", "webhook-tls",
                "tls.existingSecret.caBundle", caBundle);
        assertThat(render.has("Secret")).isFalse();
        assertThat(render.has("Certificate")).isFalse();
        assertThat(tlsVolumeSecret(render)).isEqualTo("webhook-tls");
        assertThat(render.webhook().path("clientConfig").path("caBundle").asText()).isEqualTo(caBundle);
    }

    @Test
    void existingSecretWithoutCaBundleIsRefused() {
        assertThatThrownBy(() -> Chart.render("tls.mode", "existingSecret", "tls.existingSecret.name", "webhook-tls"))
                .hasMessageContaining("caBundle");
    }

    @Test
    void serviceMonitorScrapesTheManagementPortOfTheWebhookAndAuditServices() {
        Render render = Chart.render("metrics.serviceMonitor.enabled", "true",
                "metrics.serviceMonitor.labels.release", "prometheus");
        JsonNode monitor = render.one("ServiceMonitor");
        assertThat(labels(monitor.path("metadata").path("labels"))).containsEntry("release", "prometheus");
        assertThat(strings(monitor.path("spec").path("namespaceSelector").path("matchNames"))).containsExactly(NAMESPACE);
        JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
        assertThat(endpoint.path("path").asText()).isEqualTo("/q/metrics");
        String jobLabel = monitor.path("spec").path("jobLabel").asText();

        List<String> jobs = new ArrayList<>();
        for (ObjectNode service : render.all("Service")) {
            assertThat(Chart.selects(monitor.path("spec").path("selector"), labels(service.path("metadata").path("labels"))))
                    .as("the ServiceMonitor selects Service %s", service.path("metadata").path("name").asText()).isTrue();
            List<String> servicePortNames = new ArrayList<>();
            service.path("spec").path("ports").forEach(p -> {
                if (p.path("targetPort").asText().equals("management")) {
                    servicePortNames.add(p.path("name").asText());
                }
            });
            assertThat(servicePortNames).containsExactly(endpoint.path("port").asText());
            jobs.add(service.path("metadata").path("labels").path(jobLabel).asText());
        }
        // The alerts and the dashboard select job="kube-safeguard" (webhook) and job="kube-safeguard-audit".
        assertThat(jobs).containsExactlyInAnyOrder("kube-safeguard", "kube-safeguard-audit");
    }

    @Test
    void withoutTheAuditTheServiceMonitorSelectsTheWebhookServiceOnly() {
        Render render = Chart.render("metrics.serviceMonitor.enabled", "true", "audit.enabled", "false");
        JsonNode selector = render.one("ServiceMonitor").path("spec").path("selector");
        assertThat(render.all("Service")).hasSize(1);
        assertThat(Chart.selects(selector, labels(render.one("Service").path("metadata").path("labels")))).isTrue();
        assertThat(Chart.selects(selector, Map.of("app.kubernetes.io/name", "kube-safeguard-audit",
                "app.kubernetes.io/instance", RELEASE))).isFalse();
    }

    @Test
    void prometheusRuleCarriesTheAlertsFromDeploy() throws Exception {
        Render render = Chart.render("metrics.prometheusRule.enabled", "true");
        JsonNode rule = render.one("PrometheusRule");
        JsonNode original = Chart.YAML.readTree(Files.readString(Path.of("deploy/prometheus/alerts.yaml")));
        assertThat(rule.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(rule.path("spec")).isEqualTo(original.path("spec"));
        assertThat(groupNames(rule)).containsExactly("kube-safeguard", "kube-safeguard-audit");
    }

    @Test
    void withoutTheAuditThePrometheusRuleLeavesOutItsAlerts() throws Exception {
        JsonNode rule = Chart.render("metrics.prometheusRule.enabled", "true", "audit.enabled", "false")
                .one("PrometheusRule");
        JsonNode original = Chart.YAML.readTree(Files.readString(Path.of("deploy/prometheus/alerts.yaml")));
        assertThat(groupNames(rule)).containsExactly("kube-safeguard");
        assertThat(rule.path("spec").path("groups").get(0)).isEqualTo(original.path("spec").path("groups").get(0));
        assertThat(rule.toString()).doesNotContain("safeguard_audit_", "kube-safeguard-audit");
    }

    static List<String> groupNames(JsonNode prometheusRule) {
        List<String> names = new ArrayList<>();
        prometheusRule.path("spec").path("groups").forEach(g -> names.add(g.path("name").asText()));
        return names;
    }

    @Test
    void dashboardConfigMapIsLabelledForTheGrafanaSidecar() throws Exception {
        Render render = Chart.render("metrics.dashboard.enabled", "true", "metrics.dashboard.namespace", "grafana");
        ObjectNode configMap = render.named("ConfigMap", RELEASE + "-dashboard");
        assertThat(configMap.path("metadata").path("namespace").asText()).isEqualTo("grafana");
        assertThat(labels(configMap.path("metadata").path("labels"))).containsEntry("grafana_dashboard", "1");
        String json = configMap.path("data").path("kube-safeguard-dashboard.json").asText();
        String original = Files.readString(Path.of("deploy/grafana/kube-safeguard-dashboard.json"));
        assertThat(json.strip()).isEqualTo(original.strip());
    }

    @Test
    void networkPolicyOpensTheWebhookToAllAndManagementToTheSelector() {
        Render render = Chart.render("networkPolicy.enabled", "true");
        JsonNode policy = render.named("NetworkPolicy", RELEASE).path("spec");
        assertThat(labels(policy.path("podSelector").path("matchLabels"))).isEqualTo(
                labels(render.deployment().path("spec").path("selector").path("matchLabels")));
        assertThat(strings(policy.path("policyTypes"))).containsExactly("Ingress");

        JsonNode webhookRule = null;
        JsonNode managementRule = null;
        for (JsonNode rule : policy.path("ingress")) {
            int port = rule.path("ports").get(0).path("port").asInt();
            if (port == 8443) {
                webhookRule = rule;
            } else if (port == 9000) {
                managementRule = rule;
            }
        }
        assertThat(webhookRule).as("ingress rule for 8443").isNotNull();
        assertThat(webhookRule.has("from")).as("8443 open to any source (the API server)").isFalse();
        assertThat(managementRule).as("ingress rule for 9000").isNotNull();
        assertThat(managementRule.path("from").get(0).path("namespaceSelector").path("matchLabels")
                .path("kubernetes.io/metadata.name").asText()).isEqualTo("monitoring");
    }

    @Test
    void onlyOneServiceSelectsEachSetOfPods() {
        Render render = Chart.render("metrics.serviceMonitor.enabled", "true", "networkPolicy.enabled", "true");
        assertThat(render.all("Service")).hasSize(2);
        for (ObjectNode deployment : render.all("Deployment")) {
            Map<String, String> podLabels = labels(deployment.path("spec").path("template").path("metadata").path("labels"));
            List<String> selecting = new ArrayList<>();
            for (ObjectNode service : render.all("Service")) {
                if (labels(service.path("spec").path("selector")).entrySet().stream()
                        .allMatch(e -> e.getValue().equals(podLabels.get(e.getKey())))) {
                    selecting.add(service.path("metadata").path("name").asText());
                }
            }
            assertThat(selecting).as("Services selecting the pods of %s", deployment.path("metadata").path("name").asText())
                    .containsExactly(deployment.path("metadata").path("name").asText());
        }
    }

    // --- helpers ------------------------------------------------------------------------------------

    static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    static List<String> excludedNamespaces(Render render) {
        for (JsonNode expression : render.webhook().path("namespaceSelector").path("matchExpressions")) {
            if (expression.path("key").asText().equals("kubernetes.io/metadata.name")) {
                assertThat(expression.path("operator").asText()).isEqualTo("NotIn");
                return strings(expression.path("values"));
            }
        }
        throw new AssertionError("no kubernetes.io/metadata.name expression in the namespaceSelector");
    }

    static boolean ignoreLabelExpression(Render render) {
        for (JsonNode expression : render.webhook().path("namespaceSelector").path("matchExpressions")) {
            if (expression.path("key").asText().equals("safeguard.dev/ignore")
                    && expression.path("operator").asText().equals("NotIn")
                    && strings(expression.path("values")).equals(List.of("true"))) {
                return true;
            }
        }
        return false;
    }

    static JsonNode mountOf(Render render, String path) {
        for (JsonNode mount : render.container().path("volumeMounts")) {
            if (mount.path("mountPath").asText().equals(path)) {
                return mount;
            }
        }
        throw new AssertionError("nothing mounted at " + path);
    }

    static JsonNode volume(Render render, String name) {
        for (JsonNode volume : render.podSpec().path("volumes")) {
            if (volume.path("name").asText().equals(name)) {
                return volume;
            }
        }
        throw new AssertionError("no volume " + name);
    }

    /** The Secret mounted where SAFEGUARD_TLS_CERT and SAFEGUARD_TLS_KEY point. */
    static String tlsVolumeSecret(Render render) {
        assertThat(render.env("SAFEGUARD_TLS_CERT")).isEqualTo(TLS_DIRECTORY + "/tls.crt");
        assertThat(render.env("SAFEGUARD_TLS_KEY")).isEqualTo(TLS_DIRECTORY + "/tls.key");
        JsonNode mount = mountOf(render, TLS_DIRECTORY);
        assertThat(mount.has("subPath")).as("subPath mounts are never updated: rotation would not reach the pod")
                .isFalse();
        return volume(render, mount.path("name").asText()).path("secret").path("secretName").asText();
    }

    /**
     * The Secret's certificate is valid for the name the API server dials, is signed by the caBundle CA, and
     * the PEM pair loads in Vert.x, the TLS stack the service serves with.
     */
    static void assertTlsSecretServes(JsonNode secret, String caBundle, Render render) throws Exception {
        assertThat(tlsVolumeSecret(render)).isEqualTo(secret.path("metadata").path("name").asText());
        byte[] caPem = Base64.getDecoder().decode(caBundle);
        byte[] certPem = Base64.getDecoder().decode(secret.path("data").path("tls.crt").asText());
        byte[] keyPem = Base64.getDecoder().decode(secret.path("data").path("tls.key").asText());
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        X509Certificate ca = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(caPem));
        X509Certificate cert = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(certPem));
        cert.verify(ca.getPublicKey());
        cert.checkValidity();
        assertThat(ca.getBasicConstraints()).as("the caBundle is a CA").isGreaterThanOrEqualTo(0);
        List<String> names = new ArrayList<>();
        cert.getSubjectAlternativeNames().forEach(san -> names.add(String.valueOf(san.get(1))));
        assertThat(names).contains(RELEASE + "." + NAMESPACE + ".svc");

        Vertx vertx = Vertx.vertx();
        try {
            var keyManagers = new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(certPem))
                    .setKeyValue(Buffer.buffer(keyPem))
                    .getKeyManagerFactory(vertx);
            assertThat(keyManagers.getKeyManagers()).isNotEmpty();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
