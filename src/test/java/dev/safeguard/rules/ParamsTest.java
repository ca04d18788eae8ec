package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Typed params: every value a rule's expressions read as params.x has the type the rule declares (or its default
 * implies), and a policy that says otherwise does not load, naming the file, the rule, the field and the type.
 */
class ParamsTest {

    static RuleLoader rules;
    static PolicyLoader loader;

    @BeforeAll
    static void pack() throws RuleLoadException {
        rules = new RuleLoader(new RuleCompiler());
        loader = new PolicyLoader(rules, rules.loadBuiltInPack());
    }

    static String override(String rule, String params) {
        return """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                    - id: %s
                      action: deny
                      params: %s
                """.formatted(rule, params);
    }

    static Map<String, Object> pod(String containers) throws Exception {
        return ObjectTree.of(new YAMLMapper().readTree("""
                apiVersion: v1
                kind: Pod
                metadata: {name: debug, namespace: shop}
                spec:
                  containers: %s
                """.formatted(containers)));
    }

    /**
     * The hole this closes: a string where added-capabilities wants a list loaded without complaint, then every Pod
     * was a rule error (which counted as passed) and a SYS_ADMIN Pod went through a deny-level security rule.
     */
    @Test
    void aStringWhereTheCapabilityListBelongsIsRefusedSoSysAdminIsStillDenied() throws Exception {
        assertThatThrownBy(() -> loader.parse("policy.yaml", override("added-capabilities", "{allowed: NET_BIND_SERVICE}")))
                .isInstanceOf(RuleLoadException.class)
                .hasMessage("policy.yaml: rule 'added-capabilities': spec.rules[0].params.allowed: expected a list of "
                        + "strings, got a string (\"NET_BIND_SERVICE\")");

        Policy restricted = loader.parse("policy.yaml", override("added-capabilities", "{allowed: [NET_BIND_SERVICE]}"));
        Decision decision = new PolicyEngine().decide(restricted, Subject.ofObject(pod(
                "[{name: shell, image: 'busybox:1.36', securityContext: {capabilities: {add: [SYS_ADMIN]}}}]")),
                RelatedObjects.NONE);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.denied()).extracting(RuleResult::ruleId).contains("added-capabilities");
        assertThat(decision.errors()).isEmpty();
    }

    @Test
    void anUnknownParamNameIsRefusedWithTheNamesTheRuleDeclares() {
        assertThatThrownBy(() -> loader.parse("policy.yaml", override("required-labels", "{lables: [team]}")))
                .hasMessage("policy.yaml: rule 'required-labels': spec.rules[0].params.lables: unknown param "
                        + "(the rule declares: labels)");
        assertThatThrownBy(() -> loader.parse("policy.yaml", override("image-tag", "{strict: true}")))
                .hasMessage("policy.yaml: rule 'image-tag': spec.rules[0].params.strict: unknown param: the rule has none");
    }

    @Test
    void everyWrongTypeNamesTheFieldTheExpectedTypeAndWhatWasFound() {
        assertThatThrownBy(() -> loader.parse("p.yaml", override("host-ports", "{allowedHostPorts: [80, '443']}")))
                .hasMessage("p.yaml: rule 'host-ports': spec.rules[0].params.allowedHostPorts[1]: expected an "
                        + "integer, got a string (\"443\")");
        assertThatThrownBy(() -> loader.parse("p.yaml", override("host-ports", "{allowedHostPorts: [80, 44.3]}")))
                .hasMessageEndingWith("params.allowedHostPorts[1]: expected an integer, got a number (44.3)");
        assertThatThrownBy(() -> loader.parse("p.yaml", override("required-labels", "{labels: null}")))
                .hasMessageEndingWith("spec.rules[0].params.labels: expected a list of strings, got null");
        assertThatThrownBy(() -> loader.parse("p.yaml", override("replicas-spread", "{topologyKeys: {zone: true}}")))
                .hasMessageEndingWith("params.topologyKeys: expected a list of strings, got a map");
        assertThatThrownBy(() -> loader.parse("p.yaml", override("image-registries", "{allowed: [[registry.example.com]]}")))
                .hasMessageEndingWith("params.allowed[0]: expected a string, got a list");
    }

    @Test
    void anOverrideReplacesTheParamsItNamesAndKeepsTheOthers() throws Exception {
        CompiledRule rule = rules.load("r.yaml", """
                id: tuned
                title: Tuned
                category: hygiene
                action: warn
                match: {kinds: [Deployment]}
                params:
                  - {name: keys, type: list, items: string, default: [a, b], description: keys}
                  - {name: ratio, type: number, default: 0.5, description: a ratio}
                  - {name: limits, type: map, items: integer, default: {cpu: 2}, description: limits}
                validation: "size(params.keys) > 0 && params.ratio < 1.0 && params.limits.cpu > 0"
                message: "'x'"
                """);
        RuleSet merged = RuleSet.withDefaults(List.of(rule)).withOverride("tuned", null, Map.of("ratio", 2));

        assertThat(merged.find("tuned").orElseThrow().params())
                .containsEntry("keys", List.of("a", "b"))
                .containsEntry("ratio", 2.0) // an integer is a fine number, and CEL sees a double
                .containsEntry("limits", Map.of("cpu", 2L));
        assertThatThrownBy(() -> RuleSet.withDefaults(List.of(rule)).withOverride("tuned", null,
                Map.of("limits", Map.of("cpu", "two")))).isInstanceOf(InvalidParamException.class)
                .hasMessage("params.limits.cpu: expected an integer, got a string (\"two\")");
    }

    static String withParams(String params, String validation) {
        return """
                id: typed
                title: Typed params
                category: hygiene
                action: warn
                match: {kinds: [Deployment]}
                params: %s
                validation: "%s"
                message: "'x'"
                """.formatted(params, validation);
    }

    @Test
    void declarationsAndInferredDefaultsAreCheckedWhenTheRuleLoads() {
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("{allowed: []}", "true")))
                .hasMessageContaining("r.yaml: rule 'typed': params.allowed: cannot infer the type of the elements of "
                        + "an empty default; declare it");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("{ports: [80, http]}", "true")))
                .hasMessageContaining("params.ports: cannot infer one element type: the default mixes integers and strings");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: ports, type: array, default: []}]", "true")))
                .hasMessageContaining("params[0].type: unknown type 'array', expected one of string, integer, number, "
                        + "boolean, list, map");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: ports, type: list, default: []}]", "true")))
                .hasMessageContaining("params[0].items: required for a list");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: strict, type: boolean, items: string, "
                + "default: true}]", "true"))).hasMessageContaining("params[0].items: only a list or a map has items");
        // YAML reads an unquoted on as true: the name is not what the author meant
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: on, type: boolean, default: true}]", "true")))
                .hasMessageContaining("params[0].name: expected a string, got a boolean (true) (quote it)");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: max, type: integer, default: many}]", "true")))
                .hasMessageContaining("params[0].default: expected an integer, got a string (\"many\")");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: max, type: integer}]", "true")))
                .hasMessageContaining("params[0]: param 'max' needs a default unless it is required: true");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: max, type: integer, default: 1, dflt: 2}]",
                "true"))).hasMessageContaining("params[0].dflt: unknown field (known: default, description, items, "
                        + "name, required, type)");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("[{name: a, type: string, default: x}, "
                + "{name: a, type: string, default: y}]", "true"))).hasMessageContaining("param 'a' is declared twice");
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("{max-size: 3}", "true")))
                .hasMessageContaining("params.max-size: 'max-size' is not a name expressions can read");
    }

    @Test
    void anExpressionReadingAParamTheRuleDoesNotDeclareIsALoadError() {
        assertThatThrownBy(() -> rules.load("r.yaml", withParams("{labels: [team]}", "size(params.lables) == 0")))
                .hasMessageContaining("rule 'typed': the expressions read params.lables, which the rule does not declare "
                        + "(declared: labels)");
    }

    @Test
    void aRequiredParamMustBeGivenWhenTheRuleIsOn() throws Exception {
        String policy = """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  customRules:
                    - id: team-label
                      title: Team label
                      category: hygiene
                      action: %s
                      match: {kinds: [Deployment]}
                      params: [{name: teams, type: list, items: string, required: true, description: known teams}]
                      validation: "has(object.metadata.labels) && object.metadata.labels.team in params.teams"
                      message: "'not a known team'"
                %s
                """;
        assertThatThrownBy(() -> loader.parse("p.yaml", policy.formatted("deny", "")))
                .hasMessage("p.yaml: rule 'team-label' needs params.teams (a list of strings) when it is on");
        assertThat(loader.parse("p.yaml", policy.formatted("\"off\"", "")).rules().find("team-label")).isPresent();
        Policy given = loader.parse("p.yaml", policy.formatted("deny", """
                  rules:
                    - {id: team-label, params: {teams: [shop, billing]}}
                """));
        assertThat(given.rules().find("team-label").orElseThrow().params()).containsEntry("teams", List.of("shop", "billing"));
    }
}
