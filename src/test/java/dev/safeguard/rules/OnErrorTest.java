package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A rule that cannot be evaluated (a runtime error, or over its evaluation budget) is handled by its onError: by
 * default deny for a deny-level security rule, so an error never lets through what such a rule exists to stop, and a
 * warning for every other rule. Counted and reported like any finding.
 */
class OnErrorTest {

    static RuleLoader loader;
    static List<CompiledRule> pack;

    @BeforeAll
    static void compile() throws RuleLoadException {
        loader = new RuleLoader(new RuleCompiler());
        pack = loader.loadBuiltInPack();
    }

    /** A rule that reads spec.strategy without has(): an error on every Deployment without one. */
    static CompiledRule unguarded(String category, String action, String onError) throws RuleLoadException {
        return loader.load("unguarded.yaml", """
                id: unguarded
                title: Reads a field without has()
                category: %s
                action: %s
                %s
                match: {kinds: [Deployment]}
                validation: "object.spec.strategy.type == 'RollingUpdate'"
                message: "'use RollingUpdate'"
                remediation: set spec.strategy.type
                """.formatted(category, action, onError == null ? "" : "onError: " + onError));
    }

    static Map<String, Object> deployment(String annotations) {
        Map<String, Object> metadata = new LinkedHashMap<>(Map.of("name", "web", "namespace", "shop"));
        if (annotations != null) {
            metadata.put("annotations", Map.of(PolicyEngine.EXEMPT_ANNOTATION, "unguarded",
                    PolicyEngine.EXEMPT_REASON_ANNOTATION, annotations));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) ObjectTree.ofValue(Map.of("apiVersion", "apps/v1",
                "kind", "Deployment", "metadata", metadata, "spec", Map.of("replicas", 1)));
        return object;
    }

    static Decision decide(CompiledRule rule, Mode mode, Map<String, Object> object) {
        Policy policy = new Policy("test", "v1", mode, RuleSet.withDefaults(List.of(rule)), Set.of(), true);
        return new PolicyEngine().decide(policy, Subject.ofObject(object), RelatedObjects.NONE);
    }

    @Test
    void aDenyLevelSecurityRuleThatCannotBeEvaluatedDeniesInEnforceModeAndWouldDenyInAuditMode() throws Exception {
        CompiledRule rule = unguarded("security", "deny", null);

        Decision enforced = decide(rule, Mode.ENFORCE, deployment(null));
        assertThat(enforced.allowed()).isFalse();
        RuleResult result = enforced.denied().get(0);
        assertThat(result.status()).isEqualTo(RuleResult.Status.ERROR);
        assertThat(result.describe()).startsWith("[unguarded] could not be evaluated (onError: deny): validation failed "
                + "on Deployment shop/web:").contains("strategy");

        Decision audited = decide(rule, Mode.AUDIT, deployment(null));
        assertThat(audited.allowed()).isTrue();
        assertThat(audited.warningLines()).singleElement().asString()
                .startsWith("[unguarded] (audit mode, would deny) could not be evaluated (onError: deny)");
    }

    @Test
    void everyOtherRuleWarnsByDefault() throws Exception {
        for (String[] rule : new String[][] {{"reliability", "deny"}, {"hygiene", "deny"}, {"security", "warn"},
                {"security", "audit"}, {"efficiency", "audit"}}) {
            Decision decision = decide(unguarded(rule[0], rule[1], null), Mode.ENFORCE, deployment(null));
            assertThat(decision.allowed()).as("%s %s", rule[0], rule[1]).isTrue();
            assertThat(decision.results()).singleElement().satisfies(result -> {
                assertThat(result.status()).isEqualTo(RuleResult.Status.ERROR);
                assertThat(result.disposition()).as("%s %s", rule[0], rule[1]).isEqualTo(Disposition.WARN);
            });
            assertThat(decision.warningLines()).singleElement().asString()
                    .startsWith("[unguarded] could not be evaluated and was skipped: validation failed");
        }
    }

    @Test
    void theRuleOrThePolicyChoosesOtherwise() throws Exception {
        Decision silent = decide(unguarded("security", "deny", "audit"), Mode.ENFORCE, deployment(null));
        assertThat(silent.allowed()).isTrue();
        assertThat(silent.warningLines()).isEmpty();
        assertThat(silent.disposed(Disposition.AUDIT)).extracting(RuleResult::ruleId).containsExactly("unguarded");

        RuleSet strict = RuleSet.withDefaults(List.of(unguarded("reliability", "warn", null)))
                .withOverride("unguarded", null, Action.DENY, null, "spec.rules[0].params");
        Decision denied = new PolicyEngine().decide(new Policy("strict", "v1", Mode.ENFORCE, strict, Set.of(), true),
                Subject.ofObject(deployment(null)), RelatedObjects.NONE);
        assertThat(denied.allowed()).isFalse();
        assertThat(strict.find("unguarded").orElseThrow().onError()).isEqualTo(Action.DENY);
    }

    @Test
    void onErrorOffIsRefusedAnErrorIsNeverIgnored() {
        assertThatThrownBy(() -> unguarded("security", "deny", "\"off\""))
                .hasMessageContaining("rule 'unguarded': onError must be deny, warn or audit");
        PolicyLoader policies = new PolicyLoader(loader, pack);
        assertThatThrownBy(() -> policies.parse("p.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                    - {id: privileged, onError: "off"}
                """)).hasMessage("p.yaml: rule 'privileged': spec.rules[0].onError: must be deny, warn or audit: an "
                        + "error is never ignored");
        assertThatThrownBy(() -> policies.parse("p.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  rules:
                    - {id: privileged, onError: block}
                """)).hasMessageContaining("unknown action 'block'");
    }

    @Test
    void anObjectExemptFromARuleIsExemptFromItsErrorsToo() throws Exception {
        Decision decision = decide(unguarded("security", "deny", null), Mode.ENFORCE, deployment("legacy, PLAT-9"));
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.results()).singleElement().satisfies(result -> {
            assertThat(result.status()).isEqualTo(RuleResult.Status.EXEMPT);
            assertThat(result.error()).contains("strategy"); // still counted as a rule error
        });
    }

    /** A Deployment adding SYS_ADMIN after {@code copies} copies of an allowed capability. */
    static Map<String, Object> capabilityFlood(int copies) {
        List<Object> add = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            add.add("CHOWN");
        }
        add.add("SYS_ADMIN");
        Map<String, Object> container = Map.of("name", "app", "image", "registry.example.com/app:1.0",
                "securityContext", Map.of("capabilities", Map.of("add", add)));
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) ObjectTree.ofValue(Map.of("apiVersion", "apps/v1",
                "kind", "Deployment", "metadata", Map.of("name", "flood", "namespace", "shop"),
                "spec", Map.of("replicas", 1, "template", Map.of("spec", Map.of("containers", List.of(container))))));
        return object;
    }

    /**
     * The exploit from issue 11: ~7,200 copies of an allowed capability before SYS_ADMIN took added-capabilities over
     * cel-java's iteration budget, the rule error counted as passed and the Deployment was admitted. It is denied now:
     * the rewritten rule finds SYS_ADMIN within budget, and a rule that does go over its budget is a deny by its
     * onError.
     */
    @Test
    void aCapabilityFloodHidingSysAdminIsDeniedInEnforceMode() {
        Policy builtIn = Policy.builtIn(pack);
        Subject flood = Subject.ofObject(capabilityFlood(7_200));

        Decision decision = new PolicyEngine().decide(builtIn, flood, RelatedObjects.NONE);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.result("added-capabilities").orElseThrow().describe())
                .startsWith("[added-capabilities] capabilities outside the allowed set in spec.template.spec (app: SYS_ADMIN)");

        // Ten times as many: over the comprehension budget, an error, and denied all the same (security, deny).
        Decision bigger = new PolicyEngine().decide(builtIn, Subject.ofObject(capabilityFlood(120_000)), RelatedObjects.NONE);
        RuleResult overBudget = bigger.result("added-capabilities").orElseThrow();
        assertThat(overBudget.status()).isEqualTo(RuleResult.Status.ERROR);
        assertThat(overBudget.error()).contains("over its evaluation budget");
        assertThat(bigger.allowed()).isFalse();
        assertThat(bigger.denied()).extracting(RuleResult::ruleId).contains("added-capabilities");
        // The same in audit mode: a would-deny, as a violation would be.
        assertThat(new PolicyEngine().decide(builtIn.withMode(Mode.AUDIT), Subject.ofObject(capabilityFlood(120_000)),
                RelatedObjects.NONE).disposed(Disposition.WOULD_DENY)).extracting(RuleResult::ruleId)
                .contains("added-capabilities");
    }

    @Test
    void aRuleOverItsStepBudgetIsAnErrorHandledByItsOnError() {
        PolicyEngine stingy = new PolicyEngine(new RuleEngine(new EvaluationBudget(2_000)));
        Decision decision = stingy.decide(Policy.builtIn(pack), Subject.ofObject(capabilityFlood(500)), RelatedObjects.NONE);

        RuleResult result = decision.result("added-capabilities").orElseThrow();
        assertThat(result.status()).isEqualTo(RuleResult.Status.ERROR);
        assertThat(result.error()).isEqualTo("validation (reading variables.added) went over its evaluation budget (more "
                + "than 2,000 evaluation steps) on Deployment shop/flood");
        assertThat(result.disposition()).isEqualTo(Disposition.DENY);
        // A reliability rule over the same budget only warns.
        assertThat(decision.results()).filteredOn(r -> r.status() == RuleResult.Status.ERROR
                && r.category() == Category.RELIABILITY).allSatisfy(r -> assertThat(r.disposition()).isEqualTo(Disposition.WARN));
    }

    @Test
    void theBudgetIsGenerousForOrdinaryObjects() {
        // The budget bounds what a hostile object costs; an ordinary workload is far below it.
        PolicyEngine tight = new PolicyEngine(new RuleEngine(new EvaluationBudget(EvaluationBudget.DEFAULT_STEPS / 100)));
        Decision decision = tight.decide(Policy.builtIn(pack), Subject.ofObject(capabilityFlood(20)), RelatedObjects.NONE);
        assertThat(decision.errors()).isEmpty();
    }
}
