package dev.safeguard.cli;

import static dev.safeguard.cli.Cli.BUDGET;
import static dev.safeguard.cli.Cli.GOOD_DEPLOYMENT;
import static dev.safeguard.cli.Cli.budget;
import static dev.safeguard.cli.Cli.deployment;
import static dev.safeguard.cli.Cli.run;
import static dev.safeguard.cli.Cli.runWithStdin;
import static dev.safeguard.cli.Cli.service;
import static dev.safeguard.cli.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code safeguard check} end to end, in-process: inputs, exit codes, policies, context from the bundle.
 * Report formats are in {@link ReportFormatsTest}. Tests that name a rule other than replicas-spread need
 * the full built-in pack.
 */
class CheckCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The rule ids reported for the object named {@code name}, in report order. */
    static List<String> rulesFor(String jsonReport, String name) throws Exception {
        List<String> rules = new ArrayList<>();
        for (JsonNode result : JSON.readTree(jsonReport).path("results")) {
            if (name.equals(result.path("name").asText())) {
                result.path("violations").forEach(violation -> rules.add(violation.path("rule").asText()));
            }
        }
        return rules;
    }

    static JsonNode violation(String jsonReport, String name, String rule) throws Exception {
        for (JsonNode result : JSON.readTree(jsonReport).path("results")) {
            if (name.equals(result.path("name").asText())) {
                for (JsonNode violation : result.path("violations")) {
                    if (rule.equals(violation.path("rule").asText())) {
                        return violation;
                    }
                }
            }
        }
        throw new AssertionError("no " + rule + " violation for " + name + " in " + jsonReport);
    }

    @Test
    void aCompliantBundlePassesWithExitZero() throws Exception {
        Path file = write(dir, "app.yaml", GOOD_DEPLOYMENT + "---\n" + BUDGET);

        Cli.Run run = run("check", file.toString());

        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(SafeguardCommand.OK);
        assertThat(run.out()).contains("Checked 2 objects from 1 source with policy built-in (mode enforce")
                .contains("0 with violations").contains("PASSED: nothing at or above --fail-on deny");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void aDenyLevelViolationExitsOneAndNamesRuleObjectAndFix() throws Exception {
        Path file = write(dir, "web.yaml", deployment("web", "shop", 3, false));

        Cli.Run run = run("check", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        assertThat(run.out())
                .contains(file + ":1: Deployment shop/web (document 1)")
                .containsPattern("DENY +\\[replicas-spread\\] all 3 replicas can be scheduled onto one node")
                .contains("topologySpreadConstraints")
                .contains("FAILED: 1 violation at or above --fail-on deny");
    }

    @Test
    void directoriesAreReadRecursivelyInOrderSkippingHiddenAndOtherFiles() throws Exception {
        write(dir, "b/web.yml", deployment("b-web", "shop", 3, false));
        write(dir, "a/api.yaml", deployment("a-api", "shop", 3, false));
        write(dir, "a/deep/job.json", """
                {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "c-json", "namespace": "shop"},
                 "spec": {"replicas": 2, "template": {"spec": {"containers": []}}}}
                """);
        write(dir, ".git/config.yaml", deployment("hidden", "shop", 3, false));
        write(dir, "README.md", "# not a manifest");
        write(dir, "notes.txt", "kind: Deployment");

        Cli.Run run = run("check", "-o", "json", dir.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        JsonNode report = JSON.readTree(run.out());
        List<String> names = new ArrayList<>();
        report.path("results").forEach(result -> names.add(result.path("name").asText()));
        assertThat(names).containsExactly("a-api", "c-json", "b-web");
        assertThat(report.path("results").get(1).path("source").asText())
                .isEqualTo(dir.resolve("a/deep/job.json").toString());
        assertThat(report.path("summary").path("sources").asInt()).isEqualTo(3);
    }

    @Test
    void standardInputIsReadWithDashAlongsideFiles() throws Exception {
        Path file = write(dir, "pdb.yaml", BUDGET);

        Cli.Run run = runWithStdin(GOOD_DEPLOYMENT, "check", "-o", "json", "-", file.toString());

        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(SafeguardCommand.OK);
        JsonNode results = JSON.readTree(run.out()).path("results");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).path("source").asText()).isEqualTo("<stdin>");
        assertThat(results.get(0).path("kind").asText()).isEqualTo("Deployment");
        assertThat(results.get(1).path("kind").asText()).isEqualTo("PodDisruptionBudget");
    }

    @Test
    void stdinCanBeNamedForReports() {
        Cli.Run run = runWithStdin(deployment("web", "shop", 3, false), "check", "--stdin-name", "charts/web/rendered.yaml", "-");

        assertThat(run.out()).contains("charts/web/rendered.yaml:1: Deployment shop/web");
    }

    @Test
    void helmTemplateOutputWithCommentsEmptyDocumentsAndAListIsReadObjectByObject() throws Exception {
        String helm = """
                ---
                # Source: web/templates/service.yaml
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: shop
                spec:
                  selector: {app: web}
                ---
                # Source: web/templates/empty.yaml
                ---
                ---
                # Source: web/templates/list.yaml
                apiVersion: v1
                kind: List
                items:
                  - apiVersion: policy/v1
                    kind: PodDisruptionBudget
                    metadata: {name: web, namespace: shop}
                    spec:
                      maxUnavailable: 1
                      selector: {matchLabels: {app: web}}
                  - apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: api, namespace: shop}
                    spec:
                      replicas: 2
                      template:
                        spec:
                          containers: [{name: api, image: api:1.0}]
                ---
                # Source: web/templates/deployment.yaml
                """ + GOOD_DEPLOYMENT + "---\n# trailing comment only\n";

        Cli.Run run = runWithStdin(helm, "check", "-o", "json", "-");

        JsonNode results = JSON.readTree(run.out()).path("results");
        assertThat(results).hasSize(4);
        assertThat(results.get(0).path("kind").asText()).isEqualTo("Service");
        assertThat(results.get(0).path("document").asInt()).isEqualTo(1);
        // documents 2 and 3 are empty; the List is document 4 and both its items carry that index
        assertThat(results.get(1).path("kind").asText()).isEqualTo("PodDisruptionBudget");
        assertThat(results.get(1).path("document").asInt()).isEqualTo(4);
        assertThat(results.get(2).path("name").asText()).isEqualTo("api");
        assertThat(results.get(2).path("document").asInt()).isEqualTo(4);
        assertThat(results.get(3).path("document").asInt()).isEqualTo(5);
        assertThat(rulesFor(run.out(), "api")).contains("replicas-spread");
        assertThat(run.err()).as("empty documents are not reported").isEmpty();
    }

    @Test
    void theTextReportPointsAtTheLineOfEachListItem() {
        String list = """
                apiVersion: v1
                kind: List
                items:
                  - apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: one, namespace: shop}
                    spec: {replicas: 2, template: {spec: {containers: []}}}
                  - apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: two, namespace: shop}
                    spec: {replicas: 2, template: {spec: {containers: []}}}
                """;

        Cli.Run run = runWithStdin(list, "check", "-");

        assertThat(run.out()).contains("<stdin>:4: Deployment shop/one (document 1, item 1)")
                .contains("<stdin>:8: Deployment shop/two (document 1, item 2)");
    }

    @Test
    void documentsThatAreNoKubernetesObjectsAreSkippedAndSaidSo() throws Exception {
        Path file = write(dir, "mixed.yaml", """
                replicaCount: 3
                image: {tag: latest}
                ---
                - just
                - a list
                ---
                """ + deployment("web", "shop", 1, false));

        Cli.Run run = run("check", "-o", "json", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.OK);
        assertThat(run.err())
                .contains(file + ", document 1, line 1: no kind, not a Kubernetes object: skipped")
                .contains(file + ", document 2, line 4: a YAML list, not a Kubernetes object: skipped");
        assertThat(JSON.readTree(run.out()).path("summary").path("documentsSkipped").asInt()).isEqualTo(2);
    }

    @Test
    void badYamlExitsTwoNamingFileDocumentAndLine() throws Exception {
        Path file = write(dir, "broken.yaml", GOOD_DEPLOYMENT + """
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: [unclosed
                  namespace: shop
                """);

        Cli.Run run = run("check", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("safeguard: " + file + ": document 2, line ")
                .contains("not valid YAML").contains("while parsing a flow sequence");
    }

    @Test
    void aDuplicateKeyIsRefusedLikeKubectlDoes() throws Exception {
        Path file = write(dir, "dup.yaml", "apiVersion: v1\nkind: Service\nkind: Pod\n");

        Cli.Run run = run("check", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains(file + ": document 1, line 3").contains("Duplicate field 'kind'");
    }

    @Test
    void badJsonExitsTwoNamingTheFile() throws Exception {
        Path file = write(dir, "bad.json", "{\"kind\": \"Pod\",\n \"metadata\": {\"name\": \"x\"}\n");

        Cli.Run run = run("check", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains(file + ": document 1, line").contains("not valid JSON");
    }

    @Test
    void aMissingPathExitsTwo() {
        Cli.Run run = run("check", dir.resolve("nope.yaml").toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains("nope.yaml: no such file or directory");
    }

    @Test
    void noPathIsAUsageErrorExitingTwo() {
        Cli.Run run = run("check");

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains("nothing to check: give manifest paths");
    }

    @Test
    void aBadPolicyExitsTwoWithTheLoadersMessage() throws Exception {
        Path policy = write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                    - id: no-such-rule
                      action: warn
                """);
        Path file = write(dir, "web.yaml", GOOD_DEPLOYMENT);

        Cli.Run run = run("check", "--policy", policy.toString(), file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains(policy + ": rule 'no-such-rule': spec.rules[0]: no rule with this id");
    }

    @Test
    void aCustomRuleThatDoesNotCompileIsABadPolicy() throws Exception {
        Path policy = write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  customRules:
                    - id: typo
                      title: Typo
                      category: hygiene
                      action: deny
                      match: {kinds: [Deployment]}
                      validation: "object.metadata.name.startsWith("
                      message: "'x'"
                """);

        Cli.Run run = run("check", "--policy", policy.toString(), write(dir, "w.yaml", GOOD_DEPLOYMENT).toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains("rule 'typo'").contains("validation does not compile");
    }

    @Test
    void failOnWarnAlsoFailsOnWarnings() throws Exception {
        // A 3-replica Deployment without a PodDisruptionBudget: pdb-for-replicas warns.
        Path file = write(dir, "web.yaml", GOOD_DEPLOYMENT);

        Cli.Run byDefault = run("check", file.toString());
        Cli.Run onWarn = run("check", "--fail-on", "warn", file.toString());

        assertThat(byDefault.exit()).isEqualTo(SafeguardCommand.OK);
        assertThat(byDefault.out()).containsPattern("WARN +\\[pdb-for-replicas\\]").contains("PASSED");
        assertThat(onWarn.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        assertThat(onWarn.out()).contains("FAILED: 1 violation at or above --fail-on warn");
    }

    @Test
    void failOnAuditCountsAuditFindingsToo() throws Exception {
        Path file = write(dir, "web.yaml", GOOD_DEPLOYMENT.replace("drop: [ALL]", "drop: [NET_RAW]") + "---\n" + BUDGET);

        assertThat(run("check", "--fail-on", "warn", file.toString()).exit()).isEqualTo(SafeguardCommand.OK);
        Cli.Run onAudit = run("check", "--fail-on", "AUDIT", file.toString());
        assertThat(onAudit.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        assertThat(onAudit.out()).containsPattern("AUDIT +\\[drop-all-capabilities\\]");
    }

    @Test
    void failOnOffIsAUsageError() throws Exception {
        Cli.Run run = run("check", "--fail-on", "off", write(dir, "w.yaml", GOOD_DEPLOYMENT).toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(run.err()).contains("--fail-on must be deny, warn or audit");
    }

    @Test
    void auditModeTurnsDenialsIntoWouldDeniesThatFailOnlyAtWarnLevel() throws Exception {
        Path policy = write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: rollout}
                spec:
                  mode: audit
                """);
        Path file = write(dir, "web.yaml", deployment("web", "shop", 3, false) + "---\n" + BUDGET);

        Cli.Run deny = run("check", "--policy", policy.toString(), "-o", "json", file.toString());
        Cli.Run warn = run("check", "--policy", policy.toString(), "--fail-on", "warn", file.toString());

        assertThat(deny.exit()).isEqualTo(SafeguardCommand.OK);
        assertThat(violation(deny.out(), "web", "replicas-spread").path("action").asText()).isEqualTo("would-deny");
        JsonNode summary = JSON.readTree(deny.out()).path("summary");
        assertThat(summary.path("mode").asText()).isEqualTo("audit");
        assertThat(summary.path("policy").asText()).isEqualTo("rollout");
        assertThat(summary.path("violations").path("deny").asInt()).isZero();
        assertThat(summary.path("violations").path("would-deny").asInt()).isEqualTo(1);
        assertThat(warn.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        assertThat(warn.out()).containsPattern("WOULD DENY +\\[replicas-spread\\]");
    }

    @Test
    void policyOverridesAndExclusionsApply() throws Exception {
        Path policy = write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                    - id: replicas-spread
                      action: audit
                  exclude:
                    namespaces: [sandbox]
                """);
        Path file = write(dir, "web.yaml", deployment("web", "shop", 3, false) + "---\n" + BUDGET
                + "---\n" + deployment("play", "sandbox", 3, false));

        Cli.Run run = run("check", "--policy", policy.toString(), "-o", "json", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.OK);
        assertThat(violation(run.out(), "web", "replicas-spread").path("action").asText()).isEqualTo("audit");
        assertThat(rulesFor(run.out(), "play")).isEmpty();
        assertThat(JSON.readTree(run.out()).path("summary").path("objectsExcluded").asInt()).isEqualTo(1);
    }

    @Test
    void anExemptionWithAReasonIsHonouredAndShown() throws Exception {
        String exempt = deployment("web", "shop", 3, false).replace("  namespace: shop\n", """
                  namespace: shop
                  annotations:
                    safeguard.dev/exempt: replicas-spread
                    safeguard.dev/exempt-reason: single-node test cluster
                """);
        Path file = write(dir, "web.yaml", exempt + "---\n" + BUDGET);

        Cli.Run run = run("check", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.OK);
        assertThat(run.out()).containsPattern("EXEMPT +\\[replicas-spread\\] single-node test cluster")
                .contains("1 exemptions");
    }

    // --- context from the bundle (full pack: pdb-allows-disruption, pdb-for-replicas, unique-service-selector)

    @Test
    void aBudgetWhoseMinAvailableCoversEveryReplicaIsDenied() throws Exception {
        Path file = write(dir, "app.yaml", GOOD_DEPLOYMENT + "---\n" + budget("web-budget", "shop", "web", "minAvailable: 3"));

        Cli.Run run = run("check", "-o", "json", file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        // Judged from both sides: the budget blocks every eviction of the Deployment, and the Deployment is
        // scaled to no more than the budget's minAvailable.
        JsonNode onBudget = violation(run.out(), "web-budget", "pdb-allows-disruption");
        assertThat(onBudget.path("action").asText()).isEqualTo("deny");
        assertThat(onBudget.path("message").asText()).contains("minAvailable: 3").contains("Deployment web");
        assertThat(violation(run.out(), "web", "pdb-allows-disruption").path("message").asText())
                .contains("PodDisruptionBudget web-budget");
    }

    @Test
    void aBudgetIsJudgedAgainstItsWorkloadOnlyWithContext() throws Exception {
        // Alone, minAvailable: 3 cannot be judged (no workload in sight) and passes.
        Path alone = write(dir, "pdb.yaml", budget("web", "shop", "web", "minAvailable: 3"));

        assertThat(run("check", alone.toString()).exit()).isEqualTo(SafeguardCommand.OK);
    }

    @Test
    void aMultiReplicaDeploymentWithoutABudgetGetsPdbForReplicas() throws Exception {
        Path file = write(dir, "app.yaml", GOOD_DEPLOYMENT + "---\n" + budget("other", "shop", "other", "maxUnavailable: 1"));

        Cli.Run run = run("check", "-o", "json", file.toString());

        assertThat(rulesFor(run.out(), "web")).containsExactly("pdb-for-replicas");
        assertThat(violation(run.out(), "web", "pdb-for-replicas").path("action").asText()).isEqualTo("warn");
    }

    @Test
    void twoServicesWithOneSelectorGetUniqueServiceSelector() throws Exception {
        Path file = write(dir, "svc.yaml", service("web", "shop", "web") + "---\n" + service("web-copy", "shop", "web")
                + "---\n" + service("api", "shop", "api"));

        Cli.Run run = run("check", "-o", "json", file.toString());

        assertThat(rulesFor(run.out(), "web")).containsExactly("unique-service-selector");
        assertThat(rulesFor(run.out(), "web-copy")).containsExactly("unique-service-selector");
        assertThat(rulesFor(run.out(), "api")).isEmpty();
        assertThat(violation(run.out(), "web", "unique-service-selector").path("message").asText()).contains("web-copy");
    }

    @Test
    void contextComesFromEveryFileOfTheRun() throws Exception {
        Path deployment = write(dir, "deployment.yaml", GOOD_DEPLOYMENT);
        Path budget = write(dir, "pdb.yaml", BUDGET);

        assertThat(rulesFor(run("check", "-o", "json", deployment.toString()).out(), "web")).contains("pdb-for-replicas");
        assertThat(rulesFor(run("check", "-o", "json", deployment.toString(), budget.toString()).out(), "web")).isEmpty();
    }

    @Test
    void relatedObjectsMustShareTheNamespaceExactly() throws Exception {
        // The budget is in another namespace: it does not cover the Deployment.
        Path other = write(dir, "other.yaml", GOOD_DEPLOYMENT + "---\n" + BUDGET.replace("namespace: shop", "namespace: other"));
        // Both without a namespace: both in the same unknown namespace, so they meet.
        Path unknown = write(dir, "unknown.yaml", deployment("web", null, 3, true) + "---\n"
                + budget("web", null, "web", "maxUnavailable: 1"));
        // The Deployment without a namespace is not in 'default' and does not meet a budget there.
        Path mixed = write(dir, "mixed.yaml", deployment("web", null, 3, true) + "---\n"
                + budget("web", "default", "web", "maxUnavailable: 1"));

        assertThat(rulesFor(run("check", "-o", "json", other.toString()).out(), "web")).contains("pdb-for-replicas");
        assertThat(rulesFor(run("check", "-o", "json", unknown.toString()).out(), "web")).isEmpty();
        assertThat(rulesFor(run("check", "-o", "json", mixed.toString()).out(), "web")).contains("pdb-for-replicas");
        // With --namespace default both are in default and meet; default-namespace now warns.
        assertThat(rulesFor(run("check", "-o", "json", "--namespace", "default", mixed.toString()).out(), "web"))
                .containsExactly("default-namespace");
    }

    @Test
    void anObjectWithoutNamespaceIsInAnUnknownNamespaceUnlessTold() throws Exception {
        Path file = write(dir, "web.yaml", deployment("web", null, 1, false));

        Cli.Run unknown = run("check", "-o", "json", file.toString());
        Cli.Run inDefault = run("check", "-o", "json", "--namespace", "default", file.toString());
        Cli.Run inShop = run("check", "-o", "json", "-n", "shop", file.toString());

        assertThat(rulesFor(unknown.out(), "web")).doesNotContain("default-namespace");
        assertThat(JSON.readTree(unknown.out()).path("results").get(0).path("namespace").isNull()).isTrue();
        assertThat(rulesFor(inDefault.out(), "web")).containsExactly("default-namespace");
        assertThat(JSON.readTree(inDefault.out()).path("results").get(0).path("namespace").asText()).isEqualTo("default");
        assertThat(rulesFor(inShop.out(), "web")).isEmpty();
        // An explicit namespace in the manifest wins over --namespace.
        Path explicit = write(dir, "explicit.yaml", deployment("web", "default", 1, false));
        assertThat(rulesFor(run("check", "-o", "json", "-n", "shop", explicit.toString()).out(), "web"))
                .containsExactly("default-namespace");
    }

    @Test
    void usageShowsTheCommands() {
        Cli.Run run = run("--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("check").contains("readiness").contains("rules").contains("export")
                .contains("help");
    }

    @Test
    void aRunNamingOneCommandBuildsOnlyThatOneAndAnyOtherRunBuildsThemAll() {
        // The names the command line is built by are the ones the commands' annotations give them.
        SafeguardCommand.COMMANDS.forEach((name, type) -> assertThat(new picocli.CommandLine(type).getCommandName())
                .as("@Command name of %s", type.getSimpleName()).isEqualTo(name));
        assertThat(SafeguardCommand.commandLine(System.in, "check", "x.yaml").getSubcommands()).containsOnlyKeys("check");
        for (String[] args : List.of(new String[0], new String[] {"help", "check"}, new String[] {"--help"},
                new String[] {"nope"})) {
            assertThat(SafeguardCommand.commandLine(System.in, args).getSubcommands()).as("%s", List.of(args))
                    .containsOnlyKeys(SafeguardCommand.COMMANDS.keySet());
        }

        Cli.Run help = run("help", "check");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("Usage: safeguard check");
        Cli.Run unknown = run("chekc", "x.yaml");
        assertThat(unknown.exit()).isEqualTo(SafeguardCommand.BAD_INPUT);
        assertThat(unknown.err()).contains("chekc");
    }

    /** What `kubectl get deployment,replicaset,pod -o yaml` prints for one violating Deployment: a List. */
    static final String CLUSTER_DUMP = """
            apiVersion: v1
            kind: List
            items:
              - apiVersion: apps/v1
                kind: Deployment
                metadata: {name: api, namespace: shop, uid: 7d1e0c9a-1111-4c3b-9a55-0f2f7c1e0a01}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: api}}
                  template:
                    metadata: {labels: {app: api}}
                    spec:
                      containers: [{name: api, image: registry.example.com/api:latest}]
              - apiVersion: apps/v1
                kind: ReplicaSet
                metadata:
                  name: api-6c9d8f
                  namespace: shop
                  uid: 7d1e0c9a-2222-4c3b-9a55-0f2f7c1e0a02
                  labels: {app: api, pod-template-hash: 6c9d8f}
                  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: 7d1e0c9a-1111-4c3b-9a55-0f2f7c1e0a01, controller: true}]
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: api, pod-template-hash: 6c9d8f}}
                  template:
                    metadata: {labels: {app: api, pod-template-hash: 6c9d8f}}
                    spec:
                      containers: [{name: api, image: registry.example.com/api:latest}]
              - apiVersion: v1
                kind: Pod
                metadata:
                  name: api-6c9d8f-abcde
                  namespace: shop
                  labels: {app: api, pod-template-hash: 6c9d8f}
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6c9d8f, uid: 7d1e0c9a-2222-4c3b-9a55-0f2f7c1e0a02, controller: true}]
                spec:
                  nodeName: node-1
                  containers: [{name: api, image: registry.example.com/api:latest}]
              - apiVersion: v1
                kind: Pod
                metadata:
                  name: api-6c9d8f-fghij
                  namespace: shop
                  labels: {app: api, pod-template-hash: 6c9d8f}
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6c9d8f, uid: 7d1e0c9a-2222-4c3b-9a55-0f2f7c1e0a02, controller: true}]
                spec:
                  nodeName: node-2
                  containers:
                    - {name: api, image: registry.example.com/api:latest}
                    - {name: debug, image: busybox, securityContext: {privileged: true}}
            """;

    @Test
    void aClusterDumpReportsThePodsOfAViolatingDeploymentAsInheritedNotTwice() throws Exception {
        Path file = write(dir, "dump.yaml", CLUSTER_DUMP);

        Cli.Run run = run("check", "--output", "json", file.toString());

        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(SafeguardCommand.VIOLATIONS);
        JsonNode report = JSON.readTree(run.out());
        for (String copy : List.of("api-6c9d8f", "api-6c9d8f-abcde")) {
            for (String rule : rulesFor(run.out(), copy)) {
                assertThat(violation(run.out(), copy, rule).path("action").asText()).as(copy + " " + rule)
                        .isEqualTo("inherited");
            }
            assertThat(rulesFor(run.out(), copy)).as(copy).contains("image-tag");
        }
        assertThat(violation(run.out(), "api", "image-tag").path("action").asText()).isEqualTo("deny");
        // The second Pod has a container its template does not: judged in full for what that container brings.
        assertThat(violation(run.out(), "api-6c9d8f-fghij", "privileged").path("action").asText()).isEqualTo("deny");
        assertThat(violation(run.out(), "api-6c9d8f-fghij", "image-tag").path("action").asText()).isEqualTo("deny");
        assertThat(violation(run.out(), "api-6c9d8f-fghij", "image-tag").path("message").asText()).contains("busybox");
        // Counted once: the Deployment's denials, the extra container's, none for the copies.
        assertThat(report.path("summary").path("objectsWithViolations").asInt()).isEqualTo(2);
        assertThat(report.path("summary").path("violations").path("inherited").asInt()).isPositive();

        Cli.Run text = run("check", file.toString());
        assertThat(text.out()).containsPattern("INHERITED +\\[image-tag\\] \\(as its owner ReplicaSet shop/api-6c9d8f\\)");
    }
}
