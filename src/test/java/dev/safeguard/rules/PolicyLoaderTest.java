package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PolicyLoaderTest {

    static PolicyLoader loader;
    static List<CompiledRule> pack;

    @BeforeAll
    static void pack() throws RuleLoadException {
        RuleLoader rules = new RuleLoader(new RuleCompiler());
        pack = rules.loadBuiltInPack();
        loader = new PolicyLoader(rules, pack);
    }

    static final String POLICY = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata:
              name: platform
            spec:
              mode: audit
              rules:
                - id: replicas-spread
                  action: warn
                  params:
                    topologyKeys: [topology.kubernetes.io/zone]
              customRules:
                - id: team-label
                  title: Workloads name their owning team
                  category: hygiene
                  action: deny
                  match: {kinds: [Deployment]}
                  validation: "has(object.metadata.labels) && 'team' in object.metadata.labels"
                  message: "'Deployment ' + object.metadata.name + ' has no team label'"
              exclude:
                namespaces: [sandbox]
            """;

    @Test
    void policyOverridesCustomRulesAndExclusionsAreApplied() throws RuleLoadException {
        Policy policy = loader.parse("policy.yaml", POLICY);
        assertThat(policy.name()).isEqualTo("platform");
        assertThat(policy.mode()).isEqualTo(Mode.AUDIT);
        assertThat(policy.version()).hasSize(12);
        RuleSet.Entry spread = policy.rules().find("replicas-spread").orElseThrow();
        assertThat(spread.action()).isEqualTo(Action.WARN);
        assertThat(spread.params()).containsEntry("topologyKeys", List.of("topology.kubernetes.io/zone"));
        assertThat(policy.rules().find("team-label").orElseThrow().action()).isEqualTo(Action.DENY);
        assertThat(policy.excludes("sandbox")).isTrue();
        assertThat(policy.excludes("shop")).isFalse();
        assertThat(policy.rules().entries()).hasSize(pack.size() + 1);
    }

    @Test
    void modeDefaultsToEnforceAndVersionFollowsContent() throws RuleLoadException {
        String minimal = "apiVersion: safeguard.dev/v1alpha1\nkind: SafeguardPolicy\nspec: {}\n";
        Policy policy = loader.parse("p.yaml", minimal);
        assertThat(policy.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(loader.parse("p.yaml", minimal + "# changed\n").version()).isNotEqualTo(policy.version());
    }

    @Test
    void mistakesAreNamedWithFileRuleAndPosition() {
        assertThatThrownBy(() -> loader.parse("policy.yaml", POLICY.replace("id: replicas-spread", "id: replica-spread")))
                .hasMessageStartingWith("policy.yaml: rule 'replica-spread': spec.rules[0]: no rule with this id");
        assertThatThrownBy(() -> loader.parse("policy.yaml", POLICY.replace("mode: audit", "mode: dry-run")))
                .hasMessageContaining("field 'spec.mode'").hasMessageContaining("unknown mode 'dry-run'");
        assertThatThrownBy(() -> loader.parse("policy.yaml", POLICY.replace("  exclude:", "  excludes:")))
                .hasMessageContaining("unknown field 'spec.excludes'");
        assertThatThrownBy(() -> loader.parse("policy.yaml", POLICY.replace("id: team-label", "id: replicas-spread")))
                .hasMessageContaining("spec.customRules[0]").hasMessageContaining("duplicate rule id");
        assertThatThrownBy(() -> loader.parse("policy.yaml", POLICY.replace("'team' in object", "'team' on object")))
                .hasMessageStartingWith("policy.yaml: spec.customRules[0]: rule 'team-label': validation does not compile")
                .hasMessageContaining("validation:1:");
        assertThatThrownBy(() -> loader.parse("policy.yaml", POLICY.replace("kind: SafeguardPolicy", "kind: Policy")))
                .hasMessageContaining("expected apiVersion safeguard.dev/v1alpha1 and kind SafeguardPolicy");
        assertThatThrownBy(() -> loader.parse("policy.yaml", "   \n"))
                .hasMessageContaining("is empty");
    }

    @Test
    void overridingARuleTwiceIsAnError() {
        String twice = """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                    - {id: replicas-spread, action: warn}
                    - {id: replicas-spread, action: off}
                """;
        assertThatThrownBy(() -> loader.parse("p.yaml", twice)).hasMessageContaining("spec.rules[1]: overridden twice");
    }

    @Test
    void shippedExamplePolicyLoads() throws Exception {
        Path example = Path.of("deploy/examples/policy.yaml");
        assertThat(Files.exists(example)).as(example + " exists").isTrue();
        Policy policy = loader.load(example);
        assertThat(policy.mode()).isEqualTo(Mode.AUDIT);
    }

    @Test
    void unreadableFileIsNamed() {
        assertThatThrownBy(() -> loader.load(Path.of("target/does-not-exist.yaml")))
                .hasMessageStartingWith("target/does-not-exist.yaml: cannot be read");
    }
}
