package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Modes, exemptions, ratcheting, exclusions and runtime rule errors, on small inline rules. */
class PolicyEngineTest {

    static RuleSet rules;
    final PolicyEngine engine = new PolicyEngine();

    @BeforeAll
    static void compile() throws RuleLoadException {
        RuleLoader loader = new RuleLoader(new RuleCompiler());
        rules = RuleSet.withDefaults(List.of(
                loader.load("few-replicas.yaml", """
                        id: few-replicas
                        title: At most two replicas
                        category: efficiency
                        action: deny
                        match: {kinds: [Deployment]}
                        validation: replicas <= 2
                        message: "'runs ' + string(replicas) + ' replicas, at most 2 allowed'"
                        """),
                loader.load("team-label.yaml", """
                        id: team-label
                        title: Team label
                        category: hygiene
                        action: warn
                        match: {kinds: [Deployment]}
                        validation: "has(object.metadata.labels) && 'team' in object.metadata.labels"
                        message: "'add a team label'"
                        """),
                loader.load("owner-annotation.yaml", """
                        id: owner-annotation
                        title: Owner annotation
                        category: hygiene
                        action: audit
                        match: {kinds: [Deployment]}
                        validation: "has(object.metadata.annotations)"
                        message: "'add an owner annotation'"
                        """),
                loader.load("unguarded.yaml", """
                        id: unguarded
                        title: Reads a field without has()
                        category: reliability
                        action: deny
                        match: {kinds: [Deployment]}
                        validation: "object.spec.strategy.type == 'RollingUpdate'"
                        message: "'use RollingUpdate'"
                        """)));
    }

    static Map<String, Object> deployment(int replicas, String extraMetadata) throws Exception {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  namespace: shop
                %s
                spec:
                  replicas: %d
                  strategy: {type: RollingUpdate}
                """.formatted(extraMetadata.indent(2), replicas);
        return ObjectTree.of(new YAMLMapper().readTree(yaml));
    }

    Policy enforce() {
        return new Policy("test", "v1", Mode.ENFORCE, rules, Set.of("sandbox"), true);
    }

    @Test
    void everyViolationIsSortedByAction() throws Exception {
        Decision decision = engine.decide(enforce(), Subject.ofObject(deployment(5, "")), RelatedObjects.NONE);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.denied()).extracting(RuleResult::ruleId).containsExactly("few-replicas");
        assertThat(decision.denied().get(0).message()).isEqualTo("runs 5 replicas, at most 2 allowed");
        assertThat(decision.disposed(Disposition.WARN)).extracting(RuleResult::ruleId).containsExactly("team-label");
        assertThat(decision.disposed(Disposition.AUDIT)).extracting(RuleResult::ruleId).containsExactly("owner-annotation");
        assertThat(decision.warningLines()).containsExactly("[team-label] add a team label");
        // one result per rule that applies, in rule order, passes included
        assertThat(decision.results()).extracting(RuleResult::ruleId)
                .containsExactly("few-replicas", "team-label", "owner-annotation", "unguarded");
        assertThat(decision.result("unguarded").orElseThrow().status()).isEqualTo(RuleResult.Status.PASS);
    }

    @Test
    void auditModeRejectsNothingAndReportsWouldDenies() throws Exception {
        Decision decision = engine.decide(enforce().withMode(Mode.AUDIT), Subject.ofObject(deployment(5, "")),
                RelatedObjects.NONE);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.disposed(Disposition.WOULD_DENY)).extracting(RuleResult::ruleId).containsExactly("few-replicas");
        assertThat(decision.warningLines())
                .contains("[few-replicas] (audit mode, would deny) runs 5 replicas, at most 2 allowed");
    }

    @Test
    void runtimeErrorSkipsTheRuleAndIsReported() throws Exception {
        Map<String, Object> noStrategy = ObjectTree.of(new YAMLMapper().readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop, labels: {team: a}, annotations: {owner: a}}
                spec: {replicas: 1}
                """));
        Decision decision = engine.decide(enforce(), Subject.ofObject(noStrategy), RelatedObjects.NONE);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.errors()).singleElement().satisfies(error -> {
            assertThat(error.ruleId()).isEqualTo("unguarded");
            assertThat(error.status()).isEqualTo(RuleResult.Status.ERROR);
            assertThat(error.error()).contains("Deployment shop/web").contains("strategy");
        });
        assertThat(decision.warningLines()).anyMatch(line -> line.startsWith("[unguarded] could not be evaluated"));
    }

    @Test
    void exemptionWithReasonDropsTheRuleAndIsRecorded() throws Exception {
        String annotations = """
                annotations:
                  safeguard.dev/exempt: "few-replicas, team-label"
                  safeguard.dev/exempt-reason: "batch fan-out, approved in PLAT-123"
                """;
        Decision decision = engine.decide(enforce(), Subject.ofObject(deployment(5, annotations)), RelatedObjects.NONE);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.with(RuleResult.Status.EXEMPT)).extracting(RuleResult::ruleId)
                .containsExactly("few-replicas", "team-label");
        assertThat(decision.with(RuleResult.Status.EXEMPT).get(0).reason()).isEqualTo("batch fan-out, approved in PLAT-123");
    }

    @Test
    void exemptionWithoutReasonIsIgnoredAndSaysWhy() throws Exception {
        String annotations = """
                annotations:
                  safeguard.dev/exempt: few-replicas
                  safeguard.dev/exempt-reason: "  "
                """;
        Decision decision = engine.decide(enforce(), Subject.ofObject(deployment(5, annotations)), RelatedObjects.NONE);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.with(RuleResult.Status.EXEMPT)).isEmpty();
        assertThat(decision.noticeLines()).singleElement().asString()
                .contains("safeguard.dev/exempt").contains("needs a non-empty safeguard.dev/exempt-reason");
    }

    @Test
    void exemptionNamingAnUnknownRuleIsPointedOut() throws Exception {
        String annotations = """
                annotations:
                  safeguard.dev/exempt: few-replica
                  safeguard.dev/exempt-reason: typo
                """;
        Decision decision = engine.decide(enforce(), Subject.ofObject(deployment(5, annotations)), RelatedObjects.NONE);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.noticeLines()).singleElement().asString().contains("unknown rule 'few-replica'");
    }

    @Test
    void updateRatchetsViolationsTheOldObjectAlreadyHad() throws Exception {
        Subject scaleLegacy = new Subject(deployment(6, ""), deployment(5, ""), "UPDATE", "shop", Map.of(), false);
        Decision decision = engine.decide(enforce(), scaleLegacy, RelatedObjects.NONE);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.results()).filteredOn(RuleResult::ratcheted).extracting(RuleResult::ruleId)
                .containsExactly("few-replicas");
        assertThat(decision.warningLines()).anyMatch(line -> line.startsWith("[few-replicas] (already present"));

        Subject newViolation = new Subject(deployment(6, ""), deployment(2, ""), "UPDATE", "shop", Map.of(), false);
        assertThat(engine.decide(enforce(), newViolation, RelatedObjects.NONE).allowed()).isFalse();

        Policy strict = enforce().withRatcheting(false);
        assertThat(engine.decide(strict, scaleLegacy, RelatedObjects.NONE).allowed()).isFalse();
    }

    @Test
    void excludedNamespaceIsNotEvaluated() throws Exception {
        Subject sandbox = new Subject(deployment(5, ""), null, "CREATE", "sandbox", Map.of(), false);
        Decision decision = engine.decide(enforce(), sandbox, RelatedObjects.NONE);
        assertThat(decision.excluded()).isTrue();
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.violations()).isEmpty();
        assertThat(decision.results()).extracting(RuleResult::status).containsOnly(RuleResult.Status.SKIP);
    }

    @Test
    void offRulesAreNotEvaluated() throws Exception {
        Policy policy = new Policy("test", "v1", Mode.ENFORCE, rules.withOverride("few-replicas", Action.OFF, null),
                Set.of(), true);
        assertThat(engine.decide(policy, Subject.ofObject(deployment(5, "")), RelatedObjects.NONE).allowed()).isTrue();
    }

    @Test
    void aParamTheRuleDoesNotDeclareIsRefused() {
        // (Merging and type checks of declared params: ParamsTest.)
        assertThatThrownBy(() -> rules.withOverride("team-label", null, Map.of("extra", 1)))
                .isInstanceOf(InvalidParamException.class)
                .hasMessage("params.extra: unknown param: the rule has none");
    }
}
