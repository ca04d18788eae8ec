package dev.safeguard.helm;

import static dev.safeguard.helm.Chart.AUDIT;
import static dev.safeguard.helm.Chart.NAMESPACE;
import static dev.safeguard.helm.Chart.RELEASE;
import static dev.safeguard.helm.Chart.labels;
import static dev.safeguard.helm.Chart.selects;
import static dev.safeguard.helm.ChartRenderTest.strings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.helm.Chart.Render;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The background audit in the chart: its own Deployment (never the admission pods) running the image's `audit`
 * role, the values that reach it, RBAC that lets only the audit write reports, the report CRDs and their switch,
 * its NetworkPolicy, and nothing of it when audit.enabled is false.
 */
class ChartAuditTest {

    static final String REPORT = "kube-safeguard";
    static final List<String> CRDS = List.of("policyreports.wgpolicyk8s.io", "clusterpolicyreports.wgpolicyk8s.io",
            "reports.openreports.io", "clusterreports.openreports.io");
    /** [group, resource] of every report kind the audit may write. */
    static final List<String[]> REPORT_RESOURCES = List.of(new String[] {"wgpolicyk8s.io", "policyreports"},
            new String[] {"wgpolicyk8s.io", "clusterpolicyreports"}, new String[] {"openreports.io", "reports"},
            new String[] {"openreports.io", "clusterreports"});
    static final List<String> WRITE_VERBS = List.of("create", "update", "patch", "delete", "deletecollection");

    @Nested
    class Defaults {

        final Render render = Chart.render();

        @Test
        void theAuditRunsAsItsOwnSingleWriterDeploymentOfTheSameImage() {
            JsonNode spec = render.auditDeployment().path("spec");
            assertThat(spec.path("replicas").asInt()).isEqualTo(1);
            assertThat(spec.path("strategy").path("type").asText()).as("never two writers").isEqualTo("Recreate");
            assertThat(labels(spec.path("selector").path("matchLabels")))
                    .isEqualTo(Map.of("app.kubernetes.io/name", "kube-safeguard-audit", "app.kubernetes.io/instance", RELEASE));
            assertThat(labels(spec.path("template").path("metadata").path("labels")))
                    .containsAllEntriesOf(labels(spec.path("selector").path("matchLabels")))
                    .containsEntry("app.kubernetes.io/component", "background-audit");

            JsonNode container = render.auditContainer();
            assertThat(container.path("image").asText()).isEqualTo(render.container().path("image").asText());
            assertThat(container.has("command")).as("the image's entrypoint (the jar) stays").isFalse();
            assertThat(strings(container.path("args"))).containsExactly("audit");
            assertThat(render.container().has("args")).as("the webhook keeps serving").isFalse();
        }

        @Test
        void theAuditServesOnlyTheManagementPortWithoutTls() {
            JsonNode container = render.auditContainer();
            assertThat(container.path("ports")).hasSize(1);
            assertThat(container.path("ports").get(0).path("name").asText()).isEqualTo("management");
            assertThat(container.path("ports").get(0).path("containerPort").asInt()).isEqualTo(9000);
            assertThat(container.path("startupProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
            assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
            assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/ready");
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                assertThat(container.path(probe).path("httpGet").path("port").asText()).as(probe).isEqualTo("management");
            }
            assertThat(render.auditEnv("SAFEGUARD_TLS_CERT")).isNull();
            assertThat(render.auditEnv("SAFEGUARD_TLS_KEY")).isNull();
            List<String> volumes = new ArrayList<>();
            render.auditPodSpec().path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
            assertThat(volumes).containsExactlyInAnyOrder("policy", "tmp");
            assertThat(render.auditPodSpec().toString()).doesNotContain(RELEASE + "-tls");
        }

        @Test
        void theAuditReadsTheWebhooksPolicyConfigMapMountedTheSameWay() {
            String path = render.auditEnv("SAFEGUARD_POLICY_PATH");
            assertThat(path).isEqualTo(render.env("SAFEGUARD_POLICY_PATH"));
            JsonNode mount = mountOf(render.auditContainer(), path.substring(0, path.lastIndexOf('/')));
            assertThat(mount.path("readOnly").asBoolean()).isTrue();
            assertThat(mount.has("subPath")).as("a directory mount: the kubelet updates it, the audit reloads").isFalse();
            JsonNode volume = volumeOf(render.auditPodSpec(), mount.path("name").asText());
            assertThat(volume.path("configMap").path("name").asText()).isEqualTo(RELEASE + "-policy");
            assertThat(render.named("ConfigMap", RELEASE + "-policy").path("data").has(path.substring(path.lastIndexOf('/') + 1)))
                    .isTrue();
        }

        @Test
        void theAuditIsConfiguredFromValuesWithTheDocumentedDefaults() {
            assertThat(render.auditEnv("SAFEGUARD_AUDIT_REPORT_FORMAT")).isEqualTo("policyreport");
            assertThat(render.auditEnv("SAFEGUARD_AUDIT_MAX_RESULTS")).isEqualTo("1000");
            assertThat(render.auditEnv("JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError");
            // `safeguard audit` always reads the cluster through informers: context.enabled is the webhook's.
            assertThat(render.auditEnv("SAFEGUARD_CONTEXT_ENABLED")).isNull();
            JsonNode resources = render.auditContainer().path("resources");
            assertThat(resources.path("requests").path("cpu").asText()).isEqualTo("100m");
            assertThat(resources.path("requests").path("memory").asText()).isEqualTo("256Mi");
            assertThat(resources.path("limits").path("memory").asText()).isEqualTo("512Mi");
            assertThat(resources.path("limits").has("cpu")).isFalse();
        }

        @Test
        void theAuditRunsAsItsOwnServiceAccountWithItsToken() {
            JsonNode pod = render.auditPodSpec();
            assertThat(pod.path("serviceAccountName").asText()).isEqualTo(AUDIT)
                    .isNotEqualTo(render.podSpec().path("serviceAccountName").asText());
            assertThat(pod.path("automountServiceAccountToken").asBoolean()).isTrue();
            assertThat(render.named("ServiceAccount", AUDIT).path("metadata").path("namespace").asText()).isEqualTo(NAMESPACE);
        }

        @Test
        void theAuditPodIsAsLockedDownAsTheWebhooks() {
            assertThat(render.auditPodSpec().path("securityContext")).isEqualTo(render.podSpec().path("securityContext"));
            assertThat(render.auditContainer().path("securityContext")).isEqualTo(render.container().path("securityContext"));
            assertThat(render.auditContainer().path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
            assertThat(mountOf(render.auditContainer(), "/tmp").path("name").asText()).isEqualTo("tmp");
        }

        /**
         * The webhook's selectors are {name, instance}: a Service, PodDisruptionBudget or topology spread that
         * also selected the audit pod would send it webhook traffic, count it as a webhook replica or let a drain
         * take the last webhook pod. And the other way round.
         */
        @Test
        void noSelectorOfTheWebhookSelectsTheAuditPodAndTheOtherWayRound() {
            Render all = Chart.render("networkPolicy.enabled", "true");
            Map<String, String> webhookPod = labels(all.deployment().path("spec").path("template").path("metadata").path("labels"));
            Map<String, String> auditPod = labels(all.auditDeployment().path("spec").path("template").path("metadata").path("labels"));

            Map<String, JsonNode> webhookSelectors = new HashMap<>();
            webhookSelectors.put("Deployment", all.deployment().path("spec").path("selector"));
            webhookSelectors.put("Service", selector(all.named("Service", RELEASE).path("spec").path("selector")));
            webhookSelectors.put("PodDisruptionBudget", all.one("PodDisruptionBudget").path("spec").path("selector"));
            webhookSelectors.put("NetworkPolicy", all.named("NetworkPolicy", RELEASE).path("spec").path("podSelector"));
            webhookSelectors.put("topology spread",
                    all.podSpec().path("topologySpreadConstraints").get(0).path("labelSelector"));
            webhookSelectors.forEach((what, selector) -> {
                assertThat(selects(selector, webhookPod)).as("the webhook's %s selects the webhook pods", what).isTrue();
                assertThat(selects(selector, auditPod)).as("the webhook's %s selects the audit pod", what).isFalse();
            });

            Map<String, JsonNode> auditSelectors = Map.of(
                    "Deployment", all.auditDeployment().path("spec").path("selector"),
                    "Service", selector(all.named("Service", AUDIT).path("spec").path("selector")),
                    "NetworkPolicy", all.named("NetworkPolicy", AUDIT).path("spec").path("podSelector"));
            auditSelectors.forEach((what, selector) -> {
                assertThat(selects(selector, auditPod)).as("the audit's %s selects the audit pod", what).isTrue();
                assertThat(selects(selector, webhookPod)).as("the audit's %s selects the webhook pods", what).isFalse();
            });
        }

        @Test
        void theAuditServiceExposesOnlyMetricsOfTheAuditPod() {
            JsonNode spec = render.named("Service", AUDIT).path("spec");
            assertThat(spec.path("ports")).hasSize(1);
            assertThat(spec.path("ports").get(0).path("name").asText()).isEqualTo("management");
            assertThat(spec.path("ports").get(0).path("port").asInt()).isEqualTo(9000);
            assertThat(spec.path("ports").get(0).path("targetPort").asText()).isEqualTo("management");
        }

        @Test
        void theReportCrdsAreInstalledAndKeptOnUninstall() {
            for (String name : CRDS) {
                ObjectNode crd = render.named("CustomResourceDefinition", name);
                assertThat(crd.path("apiVersion").asText()).isEqualTo("apiextensions.k8s.io/v1");
                assertThat(crd.path("metadata").path("annotations").path("helm.sh/resource-policy").asText())
                        .as("%s: deleting a CRD deletes every report of its kind", name).isEqualTo("keep");
                JsonNode spec = crd.path("spec");
                assertThat(spec.path("names").path("plural").asText() + "." + spec.path("group").asText()).isEqualTo(name);
                assertThat(spec.path("scope").asText()).isEqualTo(name.startsWith("cluster") ? "Cluster" : "Namespaced");
                assertThat(spec.path("versions")).hasSize(1);
                JsonNode version = spec.path("versions").get(0);
                assertThat(version.path("name").asText()).isEqualTo(name.endsWith("wgpolicyk8s.io") ? "v1alpha2" : "v1alpha1");
                assertThat(version.path("served").asBoolean()).isTrue();
                assertThat(version.path("storage").asBoolean()).isTrue();
            }
            assertThat(render.named("CustomResourceDefinition", "policyreports.wgpolicyk8s.io").path("spec").path("names")
                    .path("kind").asText()).isEqualTo("PolicyReport");
            assertThat(render.named("CustomResourceDefinition", "clusterpolicyreports.wgpolicyk8s.io").path("spec")
                    .path("names").path("kind").asText()).isEqualTo("ClusterPolicyReport");
            assertThat(render.named("CustomResourceDefinition", "reports.openreports.io").path("spec").path("names")
                    .path("kind").asText()).isEqualTo("Report");
            assertThat(render.named("CustomResourceDefinition", "clusterreports.openreports.io").path("spec")
                    .path("names").path("kind").asText()).isEqualTo("ClusterReport");
        }

        /** The fields the audit writes and report readers (Policy Reporter, kubectl) expect, as published. */
        @Test
        void theReportSchemasHaveThePublishedFields() {
            for (String name : CRDS) {
                JsonNode schema = render.named("CustomResourceDefinition", name).path("spec").path("versions").get(0)
                        .path("schema").path("openAPIV3Schema");
                JsonNode properties = schema.path("properties");
                assertThat(fieldNames(properties)).as(name).contains("scope", "scopeSelector", "summary", "results");
                assertThat(fieldNames(properties.path("summary").path("properties"))).as(name)
                        .containsExactlyInAnyOrder("pass", "fail", "warn", "error", "skip");
                properties.path("summary").path("properties").forEach(count ->
                        assertThat(count.path("type").asText()).isEqualTo("integer"));

                JsonNode result = properties.path("results").path("items");
                assertThat(strings(result.path("required"))).as(name).containsExactly("policy");
                JsonNode fields = result.path("properties");
                assertThat(fieldNames(fields)).as(name).containsExactlyInAnyOrder("source", "policy", "rule", "category",
                        "severity", "result", "message", "resources", "resourceSelector", "timestamp", "scored",
                        "properties");
                assertThat(strings(fields.path("severity").path("enum"))).as(name)
                        .containsExactlyInAnyOrder("critical", "high", "medium", "low", "info");
                assertThat(strings(fields.path("result").path("enum"))).as(name)
                        .containsExactlyInAnyOrder("pass", "fail", "warn", "error", "skip");
                assertThat(fieldNames(fields.path("timestamp").path("properties"))).containsExactlyInAnyOrder("seconds", "nanos");
                assertThat(fields.path("resources").path("type").asText()).isEqualTo("array");
                assertThat(fieldNames(fields.path("resources").path("items").path("properties")))
                        .contains("apiVersion", "kind", "namespace", "name", "uid");
                assertThat(fields.path("properties").path("additionalProperties").path("type").asText()).isEqualTo("string");

                boolean openReports = name.endsWith("openreports.io");
                assertThat(properties.has("source")).as("%s: a report-level source", name).isEqualTo(openReports);
                assertThat(properties.has("configuration")).as("%s: configuration.limits", name).isEqualTo(openReports);
            }
        }
    }

    /**
     * Every node of the report schemas uses only keywords the API server knows. It cannot tell itself: nested
     * schemas (under items) are decoded leniently even with strict field validation, so a misspelt keyword there
     * would be dropped without a word.
     */
    @Test
    void theReportSchemasUseOnlyKnownKeywords() {
        Render render = Chart.render();
        for (String name : CRDS) {
            JsonNode schema = render.named("CustomResourceDefinition", name).path("spec").path("versions").get(0)
                    .path("schema").path("openAPIV3Schema");
            List<String> unknown = new ArrayList<>();
            knownKeywords(schema, "openAPIV3Schema", unknown);
            assertThat(unknown).as("unknown schema keywords in %s", name).isEmpty();
        }
    }

    static final Set<String> SCHEMA_KEYWORDS = Set.of("description", "type", "format", "properties", "items", "required",
            "enum", "additionalProperties", "x-kubernetes-map-type", "x-kubernetes-list-type");

    private static void knownKeywords(JsonNode schema, String path, List<String> unknown) {
        assertThat(schema.isObject()).as(path).isTrue();
        assertThat(schema.path("type").asText()).as("%s has a type (a structural schema)", path)
                .isIn("object", "array", "string", "integer", "boolean");
        schema.fieldNames().forEachRemaining(keyword -> {
            if (!SCHEMA_KEYWORDS.contains(keyword)) {
                unknown.add(path + "." + keyword);
            }
        });
        schema.path("properties").fields().forEachRemaining(p -> knownKeywords(p.getValue(), path + "." + p.getKey(), unknown));
        if (schema.has("items")) {
            knownKeywords(schema.path("items"), path + "[]", unknown);
        }
        if (schema.path("additionalProperties").isObject()) {
            knownKeywords(schema.path("additionalProperties"), path + "{}", unknown);
        }
    }

    @Test
    void valuesReachTheAuditPod() {
        Render render = Chart.render(Map.of(), """
                audit:
                  reportFormat: openreports
                  maxResultsPerNamespace: 250
                  javaToolOptions: "-XX:MaxRAMPercentage=50"
                  resources:
                    requests: {cpu: 200m, memory: 1Gi}
                    limits: {memory: 2Gi}
                  priorityClassName: platform-low
                  nodeSelector: {pool: infra}
                  tolerations: [{key: dedicated, operator: Equal, value: infra, effect: NoSchedule}]
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms:
                          - matchExpressions: [{key: pool, operator: In, values: [infra]}]
                  podLabels: {team: platform}
                  podAnnotations: {example.com/scrape: "false"}
                  extraEnv: [{name: SAFEGUARD_EXTRA, value: "yes"}]
                  serviceAccount: {name: safeguard-auditor, annotations: {example.com/role: auditor}}
                """);
        assertThat(render.auditEnv("SAFEGUARD_AUDIT_REPORT_FORMAT")).isEqualTo("openreports");
        assertThat(render.auditEnv("SAFEGUARD_AUDIT_MAX_RESULTS")).isEqualTo("250");
        assertThat(render.auditEnv("JAVA_TOOL_OPTIONS")).isEqualTo("-XX:MaxRAMPercentage=50");
        assertThat(render.auditEnv("SAFEGUARD_EXTRA")).isEqualTo("yes");
        JsonNode resources = render.auditContainer().path("resources");
        assertThat(resources.path("requests").path("memory").asText()).isEqualTo("1Gi");
        assertThat(resources.path("limits").path("memory").asText()).isEqualTo("2Gi");
        JsonNode pod = render.auditPodSpec();
        assertThat(pod.path("priorityClassName").asText()).isEqualTo("platform-low");
        assertThat(pod.path("nodeSelector").path("pool").asText()).isEqualTo("infra");
        assertThat(pod.path("tolerations").get(0).path("key").asText()).isEqualTo("dedicated");
        assertThat(pod.path("affinity").path("nodeAffinity").isObject()).isTrue();
        JsonNode metadata = render.auditDeployment().path("spec").path("template").path("metadata");
        assertThat(metadata.path("labels").path("team").asText()).isEqualTo("platform");
        assertThat(metadata.path("annotations").path("example.com/scrape").asText()).isEqualTo("false");
        assertThat(pod.path("serviceAccountName").asText()).isEqualTo("safeguard-auditor");
        assertThat(render.named("ServiceAccount", "safeguard-auditor").path("metadata").path("annotations")
                .path("example.com/role").asText()).isEqualTo("auditor");
        assertThat(render.named("ClusterRoleBinding", AUDIT).path("subjects").get(0).path("name").asText())
                .isEqualTo("safeguard-auditor");

        // The webhook's own pod keeps its values.
        assertThat(render.podSpec().has("nodeSelector")).isFalse();
        assertThat(render.podSpec().path("serviceAccountName").asText()).isEqualTo(RELEASE);
        assertThat(render.env("SAFEGUARD_EXTRA")).isNull();
    }

    @Test
    void theWebhooksPodValuesDoNotReachTheAudit() {
        Render render = Chart.render(Map.of(), """
                nodeSelector: {pool: webhooks}
                podAnnotations: {example.com/webhook: "true"}
                priorityClassName: system-cluster-critical
                extraEnv: [{name: WEBHOOK_ONLY, value: "1"}]
                """);
        assertThat(render.auditPodSpec().has("nodeSelector")).isFalse();
        assertThat(render.auditPodSpec().has("priorityClassName")).isFalse();
        assertThat(render.auditDeployment().path("spec").path("template").path("metadata").has("annotations")).isFalse();
        assertThat(render.auditEnv("WEBHOOK_ONLY")).isNull();
    }

    @Test
    void anExistingServiceAccountForTheAuditIsBoundButNotCreated() {
        Render render = Chart.render("audit.serviceAccount.create", "false", "audit.serviceAccount.name", "auditor");
        assertThat(render.kinds()).doesNotContain("ServiceAccount/auditor", "ServiceAccount/" + AUDIT);
        assertThat(render.auditPodSpec().path("serviceAccountName").asText()).isEqualTo("auditor");
        assertThat(render.named("ClusterRoleBinding", AUDIT).path("subjects").get(0).path("name").asText()).isEqualTo("auditor");
    }

    // --- RBAC ----------------------------------------------------------------------------------------

    @Test
    void onlyTheAuditsServiceAccountMayWriteReports() {
        Render render = Chart.render();
        Rbac rbac = new Rbac(render);
        String webhook = render.podSpec().path("serviceAccountName").asText();
        String audit = render.auditPodSpec().path("serviceAccountName").asText();

        for (String[] report : REPORT_RESOURCES) {
            String what = report[0] + "/" + report[1];
            for (String verb : WRITE_VERBS) {
                assertThat(rbac.allows(webhook, verb, report[0], report[1], REPORT))
                        .as("the webhook may %s %s", verb, what).isFalse();
                assertThat(rbac.allows(webhook, verb, report[0], report[1], null))
                        .as("the webhook may %s %s", verb, what).isFalse();
            }
            assertThat(rbac.allows(audit, "create", report[0], report[1], null)).as("audit create %s", what).isTrue();
            for (String verb : List.of("get", "update", "patch", "delete")) {
                assertThat(rbac.allows(audit, verb, report[0], report[1], REPORT)).as("audit %s %s", verb, what).isTrue();
                assertThat(rbac.allows(audit, verb, report[0], report[1], "kyverno-report"))
                        .as("the audit may %s another tool's %s", verb, what).isFalse();
            }
            for (String verb : List.of("list", "watch")) {
                assertThat(rbac.allows(audit, verb, report[0], report[1], null)).as("audit %s %s", verb, what).isTrue();
            }
            assertThat(rbac.allows(audit, "deletecollection", report[0], report[1], null)).isFalse();
        }
    }

    @Test
    void bothServiceAccountsReadWhatTheRulesJudgeAndNeitherWritesAnythingElse() {
        Render render = Chart.render();
        Rbac rbac = new Rbac(render);
        List<String[]> read = List.of(new String[] {"", "pods"}, new String[] {"", "services"},
                new String[] {"", "namespaces"}, new String[] {"", "replicationcontrollers"},
                new String[] {"apps", "deployments"}, new String[] {"apps", "statefulsets"},
                new String[] {"apps", "daemonsets"}, new String[] {"apps", "replicasets"}, new String[] {"batch", "jobs"},
                new String[] {"batch", "cronjobs"}, new String[] {"policy", "poddisruptionbudgets"},
                new String[] {"autoscaling", "horizontalpodautoscalers"});
        for (String account : List.of(RELEASE, AUDIT)) {
            for (String[] kind : read) {
                for (String verb : List.of("get", "list", "watch")) {
                    assertThat(rbac.allows(account, verb, kind[0], kind[1], null))
                            .as("%s may %s %s/%s", account, verb, kind[0], kind[1]).isTrue();
                }
                assertThat(rbac.allows(account, "update", kind[0], kind[1], null)).as("%s update %s", account, kind[1]).isFalse();
            }
            // No write verb on anything but the reports, no wildcard, no secrets.
            for (Rbac.Grant grant : rbac.grants(account)) {
                assertThat(grant.verbs()).as("%s: %s", account, grant).doesNotContain("*");
                assertThat(grant.resources()).as("%s: %s", account, grant).doesNotContain("*", "secrets");
                assertThat(grant.groups()).as("%s: %s", account, grant).doesNotContain("*");
                if (grant.verbs().stream().anyMatch(WRITE_VERBS::contains)) {
                    assertThat(account).as("only the audit writes: %s", grant).isEqualTo(AUDIT);
                    assertThat(grant.groups()).as(grant.toString()).allMatch(g -> g.equals("wgpolicyk8s.io") || g.equals("openreports.io"));
                }
            }
        }
    }

    /**
     * A minimal RBAC evaluator over the rendered ClusterRoles and ClusterRoleBindings: what a ServiceAccount of
     * the release namespace may do. ChartUpgradeTest asks a real API server the same questions.
     */
    record Rbac(Render render) {

        record Grant(Set<String> groups, Set<String> resources, Set<String> names, Set<String> verbs) {
        }

        List<Grant> grants(String serviceAccount) {
            List<Grant> grants = new ArrayList<>();
            for (ObjectNode binding : render.all("ClusterRoleBinding")) {
                boolean bound = false;
                for (JsonNode subject : binding.path("subjects")) {
                    bound |= subject.path("kind").asText().equals("ServiceAccount")
                            && subject.path("name").asText().equals(serviceAccount)
                            && subject.path("namespace").asText().equals(NAMESPACE);
                }
                if (!bound) {
                    continue;
                }
                assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("ClusterRole");
                for (JsonNode rule : render.named("ClusterRole", binding.path("roleRef").path("name").asText()).path("rules")) {
                    grants.add(new Grant(new TreeSet<>(strings(rule.path("apiGroups"))),
                            new TreeSet<>(strings(rule.path("resources"))), new TreeSet<>(strings(rule.path("resourceNames"))),
                            new TreeSet<>(strings(rule.path("verbs")))));
                }
            }
            assertThat(render.all("RoleBinding")).isEmpty();
            return grants;
        }

        /** Whether the account may do verb on group/resource, for one object name (null: no name, as list or create). */
        boolean allows(String serviceAccount, String verb, String group, String resource, String name) {
            for (Grant grant : grants(serviceAccount)) {
                if ((grant.verbs().contains(verb) || grant.verbs().contains("*"))
                        && (grant.groups().contains(group) || grant.groups().contains("*"))
                        && (grant.resources().contains(resource) || grant.resources().contains("*"))
                        && (grant.names().isEmpty() || (name != null && grant.names().contains(name)))) {
                    return true;
                }
            }
            return false;
        }
    }

    // --- switches ------------------------------------------------------------------------------------

    @Test
    void crdsInstallFalseLeavesOutOnlyTheCrds() {
        Render render = Chart.render("crds.install", "false");
        assertThat(render.has("CustomResourceDefinition")).isFalse();
        assertThat(render.auditDeployment()).isNotNull();
        assertThat(render.kinds()).contains("ClusterRole/" + AUDIT, "Service/" + AUDIT, "ServiceAccount/" + AUDIT);
    }

    @Test
    void auditDisabledRendersNothingOfIt() {
        Map<String, String> everything = Map.of("metrics.serviceMonitor.enabled", "true",
                "metrics.prometheusRule.enabled", "true", "metrics.dashboard.enabled", "true",
                "networkPolicy.enabled", "true");
        Map<String, String> off = new HashMap<>(everything);
        off.put("audit.enabled", "false");
        Render render = Chart.render(off);
        Render on = Chart.render(everything);

        assertThat(render.kinds()).noneMatch(kind -> kind.contains("audit"));
        assertThat(render.has("CustomResourceDefinition")).as("the CRDs belong to the audit").isFalse();
        assertThat(render.all("Deployment")).hasSize(1);
        for (ObjectNode document : render.documents()) {
            assertThat(labels(document.path("metadata").path("labels")))
                    .as("%s", document.path("metadata").path("name").asText())
                    .doesNotContainEntry("app.kubernetes.io/component", "background-audit");
        }
        for (ObjectNode role : render.all("ClusterRole")) {
            assertThat(role.toString()).doesNotContain("wgpolicyk8s.io", "openreports.io");
        }
        // The webhook itself is rendered the same with or without the audit.
        assertThat(render.deployment()).isEqualTo(on.deployment());
        assertThat(render.named("ClusterRole", RELEASE)).isEqualTo(on.named("ClusterRole", RELEASE));
        assertThat(render.named("NetworkPolicy", RELEASE)).isEqualTo(on.named("NetworkPolicy", RELEASE));
        assertThat(render.named("Service", RELEASE)).isEqualTo(on.named("Service", RELEASE));
    }

    @Test
    void auditDisabledIgnoresCrdsInstall() {
        Render render = Chart.render("audit.enabled", "false", "crds.install", "true");
        assertThat(render.has("CustomResourceDefinition")).isFalse();
    }

    // --- network -------------------------------------------------------------------------------------

    @Test
    void theAuditsNetworkPolicyLetsPrometheusInAndTheAuditOutOnlyToTheApiServerAndDns() {
        Render render = Chart.render("networkPolicy.enabled", "true");
        JsonNode spec = render.named("NetworkPolicy", AUDIT).path("spec");
        assertThat(strings(spec.path("policyTypes"))).containsExactlyInAnyOrder("Ingress", "Egress");

        assertThat(spec.path("ingress")).hasSize(1);
        JsonNode ingress = spec.path("ingress").get(0);
        assertThat(ports(ingress)).containsExactly("TCP/9000");
        assertThat(ingress.path("from")).isEqualTo(render.named("NetworkPolicy", RELEASE).path("spec").path("ingress")
                .get(1).path("from"));

        List<String> egress = new ArrayList<>();
        for (JsonNode rule : spec.path("egress")) {
            assertThat(rule.has("to")).as("no peers by default: the API server's address is not known").isFalse();
            egress.addAll(ports(rule));
        }
        assertThat(egress).containsExactlyInAnyOrder("TCP/443", "TCP/6443", "UDP/53", "TCP/53");
    }

    @Test
    void theApiServerPeersAndPortsOfTheAuditsNetworkPolicyComeFromValues() {
        Render render = Chart.render(Map.of("networkPolicy.enabled", "true"), """
                networkPolicy:
                  management: {from: []}
                  apiServer:
                    ports: [8443]
                    to: [{ipBlock: {cidr: 10.0.0.10/32}}]
                """);
        JsonNode spec = render.named("NetworkPolicy", AUDIT).path("spec");
        assertThat(spec.path("ingress").isArray()).isTrue();
        assertThat(spec.path("ingress")).as("no peer may reach 9000").isEmpty();
        JsonNode apiServer = spec.path("egress").get(0);
        assertThat(ports(apiServer)).containsExactly("TCP/8443");
        assertThat(apiServer.path("to").get(0).path("ipBlock").path("cidr").asText()).isEqualTo("10.0.0.10/32");
    }

    // --- helpers -------------------------------------------------------------------------------------

    static List<String> ports(JsonNode rule) {
        List<String> ports = new ArrayList<>();
        rule.path("ports").forEach(p -> ports.add(p.path("protocol").asText() + "/" + p.path("port").asText()));
        return ports;
    }

    static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A Service's selector (a plain map) as a label selector. */
    static JsonNode selector(JsonNode serviceSelector) {
        ObjectNode selector = Chart.JSON.createObjectNode();
        selector.set("matchLabels", serviceSelector);
        return selector;
    }

    static JsonNode mountOf(JsonNode container, String path) {
        for (JsonNode mount : container.path("volumeMounts")) {
            if (mount.path("mountPath").asText().equals(path)) {
                return mount;
            }
        }
        throw new AssertionError("nothing mounted at " + path);
    }

    static JsonNode volumeOf(JsonNode podSpec, String name) {
        for (JsonNode volume : podSpec.path("volumes")) {
            if (volume.path("name").asText().equals(name)) {
                return volume;
            }
        }
        throw new AssertionError("no volume " + name);
    }
}
