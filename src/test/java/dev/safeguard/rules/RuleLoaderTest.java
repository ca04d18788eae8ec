package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RuleLoaderTest {

    final RuleLoader loader = new RuleLoader(new RuleCompiler());

    static String rule(String validation, String message) {
        return """
                id: team-label
                title: Workloads name their team
                category: hygiene
                action: deny
                match: {kinds: [Deployment]}
                validation: %s
                message: %s
                """.formatted(validation, message);
    }

    @Test
    void validRuleCompiles() throws RuleLoadException {
        CompiledRule rule = loader.load("team-label.yaml",
                rule("\"has(object.metadata.labels) && 'team' in object.metadata.labels\"", "\"'no team label'\""));
        assertThat(rule.id()).isEqualTo("team-label");
        assertThat(rule.matches("Deployment")).isTrue();
        assertThat(rule.matches("Pod")).isFalse();
    }

    @Test
    void celThatDoesNotCompileNamesFileRuleFieldAndPosition() {
        assertThatThrownBy(() -> loader.load("rules/team-label.yaml", rule("\"object.metadata.labels.exists(l, \"",
                "\"'x'\"")))
                .isInstanceOf(RuleLoadException.class)
                .hasMessageStartingWith("rules/team-label.yaml: rule 'team-label': validation does not compile:")
                .hasMessageContaining("validation:1:");
    }

    @Test
    void undeclaredVariableIsALoadError() {
        assertThatThrownBy(() -> loader.load("r.yaml", rule("\"objekt.spec.replicas > 1\"", "\"'x'\"")))
                .hasMessageContaining("rule 'team-label'")
                .hasMessageContaining("undeclared reference to 'objekt'")
                .hasMessageContaining("validation:1:1");
    }

    @Test
    void wrongResultTypesAreLoadErrors() {
        assertThatThrownBy(() -> loader.load("r.yaml", rule("\"replicas + 1\"", "\"'x'\"")))
                .hasMessageContaining("validation must return bool but returns int");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("\"true\"", "\"replicas > 1\"")))
                .hasMessageContaining("message must return string but returns bool");
    }

    @Test
    void unknownFieldIsNamedWithItsLine() {
        String yaml = rule("\"true\"", "\"'x'\"") + "severity: high\n";
        assertThatThrownBy(() -> loader.load("r.yaml", yaml))
                .hasMessageContaining("r.yaml: rule 'team-label': unknown field 'severity' at line 8")
                .hasMessageContaining("known fields:");
    }

    @Test
    void badYamlAndBadValuesAreNamed() {
        assertThatThrownBy(() -> loader.load("broken.yaml", "id: [unclosed\n"))
                .hasMessageStartingWith("broken.yaml: not valid YAML at line");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("\"true\"", "\"'x'\"").replace("action: deny", "action: block")))
                .hasMessageContaining("field 'action'")
                .hasMessageContaining("unknown action 'block', expected one of deny, warn, audit, off");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("\"true\"", "\"'x'\"").replace("id: team-label", "id: Team_Label")))
                .hasMessageContaining("id must be kebab-case");
        assertThatThrownBy(() -> loader.load("r.yaml", rule("\"true\"", "\"'x'\"").replace("title: Workloads name their team\n", "")))
                .hasMessageContaining("title");
        assertThatThrownBy(() -> loader.load("r.yaml", "- just\n- a list\n"))
                .hasMessageContaining("must hold one YAML mapping");
    }

    @Test
    void builtInPackLoadsAndEveryRuleIsDocumented() throws RuleLoadException {
        var pack = loader.loadBuiltInPack();
        assertThat(pack).isNotEmpty();
        assertThat(pack).allSatisfy(rule -> {
            assertThat(rule.definition().docs()).as(rule.id() + " docs").isNotBlank();
            assertThat(rule.definition().title()).as(rule.id() + " title").isNotBlank();
        });
    }
}
