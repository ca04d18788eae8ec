package dev.safeguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.CompiledRule;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleEngine;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleLoader;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.rules.RulesTestSupport;
import dev.safeguard.rules.Subject;
import dev.safeguard.vap.VapEvaluator;
import dev.safeguard.vap.VapExporter;
import dev.safeguard.rules.RuleResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code safeguard export vap}: the YAML parsed back, every expression compiled in a Kubernetes-like CEL
 * environment, and every exported rule evaluated as a ValidatingAdmissionPolicy over its pass/fail fixtures
 * with the same verdict and message as the engine. (A real kube-apiserver accepting and enforcing the export
 * is {@link VapApiServerTest}.) Everything but the replicas-spread checks needs the full built-in pack.
 */
class VapExportTest {

    static final YAMLMapper YAML = new YAMLMapper();
    static final Path FIXTURES = Path.of("src/test/resources/safeguards");
    static List<CompiledRule> pack;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadPack() throws RuleLoadException {
        pack = new RuleLoader(new RuleCompiler()).loadBuiltInPack();
    }

    /** The documents of the export, read back as YAML: policy, binding, policy, binding, ... */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(String yaml) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        try (MappingIterator<Map<String, Object>> values = YAML.readerFor(Map.class).readValues(yaml)) {
            while (values.hasNext()) {
                documents.add(values.next());
            }
        }
        return documents;
    }

    static Map<String, Object> find(List<Map<String, Object>> documents, String kind, String name) {
        return documents.stream().filter(d -> kind.equals(d.get("kind"))
                && name.equals(((Map<?, ?>) d.get("metadata")).get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(Map<String, Object> document) {
        return (Map<String, Object>) document.get("spec");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> map, String key) {
        return (List<Map<String, Object>>) map.getOrDefault(key, List.of());
    }

    @Test
    void everyEnabledRuleWithoutContextBecomesAPolicyAndABinding() throws Exception {
        Cli.Run run = Cli.run("export", "vap");

        assertThat(run.exit()).isZero();
        List<Map<String, Object>> documents = documents(run.out());
        List<String> exported = new ArrayList<>();
        for (int i = 0; i < documents.size(); i += 2) {
            Map<String, Object> policy = documents.get(i);
            Map<String, Object> binding = documents.get(i + 1);
            assertThat(policy.get("apiVersion")).isEqualTo("admissionregistration.k8s.io/v1");
            assertThat(policy.get("kind")).isEqualTo("ValidatingAdmissionPolicy");
            assertThat(binding.get("kind")).isEqualTo("ValidatingAdmissionPolicyBinding");
            String name = (String) ((Map<?, ?>) policy.get("metadata")).get("name");
            assertThat(spec(binding).get("policyName")).isEqualTo(name);
            exported.add(name.substring(VapExporter.NAME_PREFIX.length()));
        }
        List<String> expected = pack.stream()
                .filter(rule -> rule.definition().action() != Action.OFF && !rule.definition().needsContext())
                .map(CompiledRule::id).toList();
        assertThat(exported).containsExactlyElementsOf(expected);
        // context rules are named with the reason, on stderr and in the header
        for (CompiledRule rule : pack) {
            if (rule.definition().action() != Action.OFF && rule.definition().needsContext()) {
                assertThat(run.err()).contains("safeguard: not exported: " + rule.id() + ": needs context (related: ");
                assertThat(run.out()).contains("#   " + rule.id() + ": needs context");
            }
        }
        assertThat(run.out()).contains("# Off in this policy, not exported: cpu-limits");
    }

    @Test
    void replicasSpreadMapsKindsVariablesAndActions() throws Exception {
        List<Map<String, Object>> documents = documents(Cli.run("export", "vap").out());
        Map<String, Object> policy = spec(find(documents, "ValidatingAdmissionPolicy", "safeguard-replicas-spread"));

        assertThat(policy.get("failurePolicy")).isEqualTo("Ignore");
        List<Map<String, Object>> resourceRules = list(cast(policy.get("matchConstraints")), "resourceRules");
        assertThat(resourceRules).containsExactly(Map.of("apiGroups", List.of("apps"), "apiVersions", List.of("v1"),
                "operations", List.of("CREATE", "UPDATE"),
                "resources", List.of("deployments", "replicasets", "statefulsets")));
        // the derived variables the rule reads, then the rule's own, as it reads them
        assertThat(list(policy, "variables")).extracting(v -> v.get("name"))
                .containsExactly("params", "podSpec", "podSpecPath", "replicas", "keys");
        assertThat(list(policy, "variables").get(4).get("expression")).isEqualTo("variables.params.topologyKeys.join(' or ')");
        assertThat(list(policy, "variables").get(0).get("expression"))
                .isEqualTo("{'topologyKeys': ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']}");
        String expression = (String) list(policy, "validations").get(0).get("expression");
        assertThat(expression).startsWith("variables.replicas <= 1")
                .contains("has(variables.podSpec.topologySpreadConstraints)")
                .contains("c.topologyKey in variables.params.topologyKeys")
                .doesNotContainPattern("(?<![.\\w])podSpec\\.");
        // rendered as the engine renders it: [id] message. Fix: remediation, with the remediation's placeholders
        assertThat((String) list(policy, "validations").get(0).get("messageExpression")).startsWith("'[replicas-spread] ' + (")
                .contains(" + '. Fix: ' + 'add ' + string(variables.podSpecPath) + '.topologySpreadConstraints with "
                        + "topologyKey ' + string(variables.keys) + ' (maxSkew: 1");
        // ReplicaSets the deployment controller made are judged through their Deployment; a policy can check the
        // identity (not the owner or its template, which the webhook checks too)
        assertThat(list(policy, "matchConditions")).extracting(c -> c.get("name"))
                .containsExactly("not-exempt", "not-made-by-a-trusted-controller");
        assertThat((String) list(policy, "matchConditions").get(1).get("expression"))
                .contains("object.kind == 'ReplicaSet' && o.kind == 'Deployment' && has(request.userInfo.username)"
                        + " && request.userInfo.username in ['system:kube-controller-manager', "
                        + "'system:serviceaccount:kube-system:deployment-controller']");
        Map<String, Object> binding = spec(find(documents, "ValidatingAdmissionPolicyBinding", "safeguard-replicas-spread"));
        assertThat(binding.get("validationActions")).isEqualTo(List.of("Deny"));
        assertThat(binding).doesNotContainKey("matchResources");
    }

    @Test
    void actionsModeAndExclusionsReachTheBindings() throws Exception {
        Path policyFile = Cli.write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: rollout}
                spec:
                  mode: audit
                  rules:
                    - {id: liveness-probe, action: audit}
                    - {id: image-registries, action: deny, params: {allowed: [registry.example.com/]}}
                  exclude: {namespaces: [sandbox, kube-system]}
                """);

        Cli.Run run = Cli.run("export", "vap", "--policy", policyFile.toString());

        assertThat(run.exit()).isZero();
        List<Map<String, Object>> documents = documents(run.out());
        assertThat(spec(find(documents, "ValidatingAdmissionPolicyBinding", "safeguard-replicas-spread"))
                .get("validationActions")).isEqualTo(List.of("Warn", "Audit"));
        assertThat(spec(find(documents, "ValidatingAdmissionPolicyBinding", "safeguard-default-namespace"))
                .get("validationActions")).isEqualTo(List.of("Warn"));
        assertThat(spec(find(documents, "ValidatingAdmissionPolicyBinding", "safeguard-liveness-probe"))
                .get("validationActions")).isEqualTo(List.of("Audit"));
        Map<String, Object> registries = spec(find(documents, "ValidatingAdmissionPolicy", "safeguard-image-registries"));
        assertThat(list(registries, "variables").get(0))
                .isEqualTo(Map.of("name", "params", "expression", "{'allowed': ['registry.example.com/']}"));
        assertThat(spec(find(documents, "ValidatingAdmissionPolicyBinding", "safeguard-image-registries"))
                .get("matchResources")).isEqualTo(Map.of("namespaceSelector", Map.of("matchExpressions", List.of(
                        Map.of("key", "kubernetes.io/metadata.name", "operator", "NotIn",
                                "values", List.of("kube-system", "sandbox"))))));
        assertThat(run.out()).contains("from policy rollout").contains("mode audit");
    }

    @Test
    void theContainersVariableCarriesTypeNameAndTheFieldsTheRuleReads() throws Exception {
        List<Map<String, Object>> documents = documents(Cli.run("export", "vap").out());
        Map<String, Object> policy = spec(find(documents, "ValidatingAdmissionPolicy", "safeguard-image-tag"));

        Map<String, Object> containers = list(policy, "variables").stream()
                .filter(v -> v.get("name").equals("containers")).findFirst().orElseThrow();
        String expression = (String) containers.get("expression");
        assertThat(expression).contains("variables.podSpec.initContainers.map(c, {'type': dyn('init')")
                .contains("variables.podSpec.containers.map(c, {'type': dyn('app')")
                .contains("variables.podSpec.ephemeralContainers.map(c, {'type': dyn('ephemeral')")
                .contains("?'image': c.?image")
                .doesNotContain("'resources'");
        assertThat(list(policy, "variables")).extracting(v -> v.get("name")).containsExactly("podSpec", "podSpecPath",
                "containers", "unpinned");
        // the rule's variable filters the exported containers; its fields count among those the containers carry
        assertThat((String) list(policy, "variables").get(3).get("expression"))
                .startsWith("variables.containers.filter(c, has(c.image)");
    }

    @Test
    void everyExpressionCompilesInAKubernetesLikeEnvironment() throws Exception {
        Cli.Run run = Cli.run("export", "vap", "--policy", allOn().toString());
        List<String> problems = new ArrayList<>();
        int compiled = 0;
        for (Map<String, Object> document : documents(run.out())) {
            if (!"ValidatingAdmissionPolicy".equals(document.get("kind"))) {
                continue;
            }
            Map<String, Object> spec = spec(document);
            List<String[]> expressions = new ArrayList<>();
            list(spec, "matchConditions").forEach(c -> expressions.add(new String[] {(String) c.get("expression"), "bool"}));
            list(spec, "variables").forEach(v -> expressions.add(new String[] {(String) v.get("expression"), "any"}));
            list(spec, "validations").forEach(v -> {
                expressions.add(new String[] {(String) v.get("expression"), "bool"});
                expressions.add(new String[] {(String) v.get("messageExpression"), "string"});
            });
            for (String[] expression : expressions) {
                try {
                    CelAbstractSyntaxTree ast = VapEvaluator.compile(expression[0]);
                    if (expression[1].equals("bool") && !ast.getResultType().equals(SimpleType.BOOL)
                            && !ast.getResultType().equals(SimpleType.DYN)) {
                        problems.add(expression[0] + " returns " + ast.getResultType());
                    }
                    compiled++;
                } catch (CelValidationException e) {
                    problems.add(((Map<?, ?>) document.get("metadata")).get("name") + ": " + e.getMessage());
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(compiled).isGreaterThan(50);
    }

    @Test
    void theKubernetesLikeEnvironmentLacksKubeSafeguardsOwnFunctions() {
        // (cel-java is more lenient than cel-go about map literals mixing string and dyn values, which the
        // API server refuses; VapApiServerTest covers that with a real kube-apiserver.)
        assertThatThrownBy(() -> VapEvaluator.compile("selectorMatches(object, object)"))
                .isInstanceOf(CelValidationException.class);
        assertThatThrownBy(() -> VapEvaluator.compile("podSpec.x == 1")).isInstanceOf(CelValidationException.class);
    }

    /**
     * Every exported rule, switched to deny (so rules that are off by default are covered too), judged as a
     * ValidatingAdmissionPolicy on every fixture of that rule: same verdict as the engine, same message.
     */
    @TestFactory
    Stream<DynamicTest> exportedPoliciesDecideLikeTheEngineOnEveryFixture() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (CompiledRule rule : pack) {
            if (rule.definition().needsContext()) {
                continue;
            }
            for (String outcome : List.of("pass", "fail")) {
                Path directory = FIXTURES.resolve(rule.id()).resolve(outcome);
                if (!Files.isDirectory(directory)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(directory)) {
                    for (Path file : files.sorted().toList()) {
                        tests.add(DynamicTest.dynamicTest(rule.id() + " " + outcome + " " + file.getFileName(),
                                () -> decidesLikeTheEngine(rule, RulesTestSupport.fixture(file))));
                    }
                }
            }
        }
        assertThat(tests).as("fixtures").isNotEmpty();
        return tests.stream();
    }

    private static void decidesLikeTheEngine(CompiledRule rule, RulesTestSupport.FixtureObject fixture) throws Exception {
        RuleSet rules = RuleSet.withDefaults(pack).withOverride(rule.id(), Action.DENY, fixture.params());
        Policy policy = new Policy("fixtures", "test", Mode.ENFORCE, rules, Set.of(), false);
        VapExporter.Result result = new VapExporter().export(policy);
        VapExporter.Exported exported = result.exported().stream().filter(e -> e.ruleId().equals(rule.id()))
                .findFirst().orElseThrow(() -> new AssertionError(rule.id() + " not exported: " + result.skipped()));
        // Through YAML and back, as kubectl would read it.
        String yaml = YAML.writeValueAsString(exported.policy());
        @SuppressWarnings("unchecked")
        Map<String, Object> vap = YAML.readValue(yaml, Map.class);

        Map<String, Object> object = fixture.object();
        String namespace = ObjectTree.string(object, "metadata", "namespace");
        List<RuleResult> engine = new RuleEngine().evaluate(rules, Subject.ofObject(object), RelatedObjects.NONE)
                .stream().filter(found -> found.ruleId().equals(rule.id()) && found.violated()).toList();
        VapEvaluator.Outcome vapOutcome = VapEvaluator.evaluate(vap, object, namespace);

        assertThat(vapOutcome.error()).as("VAP evaluation error on %s", fixture.file()).isNull();
        assertThat(vapOutcome.violated()).as("VAP verdict on %s (engine: %s)", fixture.file(), engine)
                .isEqualTo(!engine.isEmpty());
        if (!engine.isEmpty() && !engine.get(0).message().contains(" container #")) {
            // Unnamed containers are labelled "<app container #1>" by the engine and "<app container>" in a VAP
            // (the API server rejects nameless containers before validating admission runs).
            assertThat(vapOutcome.message()).isEqualTo(engine.get(0).describe());
        }
    }

    /** A policy switching every rule on (deny), so that every rule of the pack is exported. */
    private Path allOn() throws IOException {
        StringBuilder policy = new StringBuilder("""
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                """);
        for (CompiledRule rule : pack) {
            policy.append("    - {id: ").append(rule.id()).append(", action: deny}\n");
        }
        return Cli.write(dir, "all-on.yaml", policy.toString());
    }

    @Test
    void customRulesThatCannotBeExpressedAreListedWithTheReason() throws Exception {
        Path policyFile = Cli.write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  customRules:
                    - id: first-container-tagged
                      title: First container tagged
                      category: hygiene
                      action: deny
                      match: {kinds: [Pod]}
                      validation: "size(containers) == 0 || containers[0].image.contains(':')"
                      message: "'tag it'"
                    - id: selector-self
                      title: Selector matches own labels
                      category: reliability
                      action: warn
                      match: {kinds: [Deployment]}
                      validation: "selectorMatches(object.spec.selector, podLabels)"
                      message: "'fix the selector'"
                    - id: bound
                      title: Uses cel.bind
                      category: hygiene
                      action: warn
                      match: {kinds: [Pod]}
                      validation: "cel.bind(n, object.metadata.name, n != '')"
                      message: "'name it'"
                    - id: widget-owner
                      title: Widgets have owners
                      category: hygiene
                      action: warn
                      match: {kinds: [Widget]}
                      validation: "has(object.spec.owner)"
                      message: "'add spec.owner'"
                    - id: whole-container
                      title: Containers compared whole
                      category: hygiene
                      action: warn
                      match: {kinds: [Pod]}
                      validation: "containers.all(c, c != {})"
                      message: "'x'"
                """);

        Cli.Run run = Cli.run("export", "vap", "--policy", policyFile.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.err())
                .contains("not exported: first-container-tagged: the containers variable cannot be rebuilt for it: "
                        + "containers is used other than by iterating over it or taking its size")
                .contains("not exported: selector-self: calls selectorMatches()")
                .contains("not exported: bound: uses cel.bind()")
                .contains("not exported: widget-owner: matches kind Widget, whose API group and resource")
                .contains("not exported: whole-container: the containers variable cannot be rebuilt for it: "
                        + "an element of containers ('c') is used as a whole value");
        assertThat(documents(run.out())).extracting(d -> (String) ((Map<?, ?>) d.get("metadata")).get("name"))
                .doesNotContain("safeguard-first-container-tagged", "safeguard-selector-self", "safeguard-bound",
                        "safeguard-widget-owner", "safeguard-whole-container");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
