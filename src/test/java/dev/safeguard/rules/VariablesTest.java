package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rule variables: named once, read as variables.name by the expressions after them, evaluated only when read and at
 * most once per object; the remediation fills them in. Mistakes are load errors naming the rule and the variable.
 */
class VariablesTest {

    final RuleLoader loader = new RuleLoader(new RuleCompiler());

    static String rule(String variables, String validation, String message, String remediation) {
        return """
                id: many-items
                title: Few items
                category: efficiency
                action: deny
                match: {kinds: [ConfigMap]}
                variables: %s
                validation: "%s"
                message: "%s"
                %s
                """.formatted(variables, validation, message, remediation == null ? "" : "remediation: " + remediation);
    }

    static Map<String, Object> configMap(int items) {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            list.add("item-" + i);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) ObjectTree.ofValue(Map.of("kind", "ConfigMap",
                "metadata", Map.of("name", "settings", "namespace", "shop"), "items", list));
        return object;
    }

    RuleResult evaluate(RuleEngine engine, CompiledRule rule, Map<String, Object> object) {
        return engine.evaluate(RuleSet.withDefaults(List.of(rule)), Subject.ofObject(object), RelatedObjects.NONE).get(0);
    }

    @Test
    void aVariableIsSharedByValidationMessageAndRemediation() throws Exception {
        CompiledRule rule = loader.load("r.yaml", rule("""
                [{name: long, expression: "object.items.filter(i, size(i) > 6)"},
                 {name: count, expression: "size(variables.long)"}]""",
                "variables.count <= 1", "string(variables.count) + ' long items: ' + variables.long.join(', ')",
                "shorten the {{count}} items to six characters"));

        RuleResult result = evaluate(new RuleEngine(), rule, configMap(12));

        assertThat(result.status()).isEqualTo(RuleResult.Status.FAIL);
        assertThat(result.message()).isEqualTo("2 long items: item-10, item-11");
        assertThat(result.remediation()).isEqualTo("shorten the 2 items to six characters");
        assertThat(result.describe()).isEqualTo("[many-items] 2 long items: item-10, item-11. Fix: shorten the 2 items "
                + "to six characters");
    }

    @Test
    void aVariableIsEvaluatedOnlyWhenReadAndAtMostOncePerObject() throws Exception {
        // Read ten times; worth ~5,000 steps each time. Within a budget that fits it once, not ten times.
        CompiledRule rule = loader.load("r.yaml", rule("""
                [{name: items, expression: "object.items.filter(i, i.startsWith('item-'))"},
                 {name: unused, expression: "object.missing.field == 1"}]""",
                "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(n, size(variables.items) > 0)", "'x'", null));

        RuleResult result = evaluate(new RuleEngine(new EvaluationBudget(20_000)), rule, configMap(1_000));

        assertThat(result.error()).as("a variable nobody reads is never evaluated, one read ten times once").isNull();
        assertThat(result.status()).isEqualTo(RuleResult.Status.PASS);
    }

    @Test
    void aVariableThatFailsIsNamedInTheError() throws Exception {
        CompiledRule rule = loader.load("r.yaml", rule("[{name: owner, expression: \"object.metadata.labels.owner\"}]",
                "variables.owner != ''", "'x'", null));

        RuleResult result = evaluate(new RuleEngine(), rule, configMap(1));

        assertThat(result.status()).isEqualTo(RuleResult.Status.ERROR);
        assertThat(result.error()).startsWith("validation (reading variables.owner) failed on ConfigMap shop/settings:");
    }

    @Test
    void mistakesAreLoadErrorsNamingTheVariable() {
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: a, expression: \"variables.b\"}, "
                + "{name: b, expression: \"1\"}]", "true", "'x'", null)))
                .hasMessageContaining("rule 'many-items': variables.a reads variables.b, but no variable of that name is "
                        + "declared before it (none)");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: a, expression: \"1\"}]", "variables.b > 0", "'x'", null)))
                .hasMessageContaining("validation reads variables.b, but no variable of that name is declared (a)");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: a, expression: \"1\"}]", "size(variables) > 0", "'x'",
                null))).hasMessageContaining("validation uses 'variables' as a whole");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: a, expression: \"1\"}, {name: a, expression: \"2\"}]",
                "true", "'x'", null))).hasMessageContaining("variables[1]: variable 'a' is declared twice");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: podSpec, expression: \"1\"}]", "true", "'x'", null)))
                .hasMessageContaining("variables[0]: variable name 'podSpec' is the name of a variable every rule sees");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: my-var, expression: \"1\"}]", "true", "'x'", null)))
                .hasMessageContaining("variable name 'my-var' must be a CEL identifier");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: a, expression: \"object.items.exists(i, \"}]", "true",
                "'x'", null))).hasMessageContaining("variables.a does not compile").hasMessageContaining("variables.a:1:");
    }

    @Test
    void aRemediationNamesOnlyVariablesOfAScalarType() {
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: a, expression: \"1\"}]", "true", "'x'",
                "raise {{b}}"))).hasMessageContaining("remediation: {{b}} names no variable of the rule (its variables: a;");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[{name: names, expression: \"['a', 'b']\"}]", "true", "'x'",
                "rename {{names}}"))).hasMessageContaining("remediation interpolates {{names}}, a list: only a "
                        + "string, int or bool");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("[]", "true", "'x'", "'close {{it'")))
                .hasMessageContaining("unbalanced '{{' or '}}'");
    }
}
