package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.safeguard.SampleManifests;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Governed rollout in the engine: dated enforcement, exemptions that end, who may grant them, per-namespace policy
 * and team routing. Time is a fixed clock, never a sleep.
 */
class GovernedRolloutTest {

    static PolicyLoader loader;

    static final Instant JAN_3 = Instant.parse("2027-01-03T00:00:00Z");
    static final Instant JAN_15 = Instant.parse("2027-01-15T00:00:00Z");

    @BeforeAll
    static void pack() throws RuleLoadException {
        RuleLoader rules = new RuleLoader(new RuleCompiler());
        loader = new PolicyLoader(rules, rules.loadBuiltInPack());
    }

    static PolicyEngine at(Instant now) {
        return new PolicyEngine(Clock.fixed(now, ZoneOffset.UTC));
    }

    static Policy policy(String spec) throws RuleLoadException {
        return loader.parse("policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: rollout}
                spec:
                %s
                """.formatted(spec.indent(2)));
    }

    static Map<String, Object> latestTagged(String namespace, Map<String, String> annotations) throws Exception {
        return ObjectTree.of(new YAMLMapper().readTree(SampleManifests.onlyImageTagDenied(namespace, annotations)));
    }

    static Subject create(Map<String, Object> object, String user, List<String> groups) {
        return new Subject(object, null, "CREATE", null, Map.of("username", user, "groups", groups), false);
    }

    static Subject update(Map<String, Object> object, Map<String, Object> old, String user) {
        return new Subject(object, old, "UPDATE", null, Map.of("username", user, "groups", List.of()), false);
    }

    // --- dated enforcement

    static final String DATED = """
            mode: enforce
            rules:
              - id: image-tag
                action: deny
                enforceFrom: "2027-01-15"
            """;

    @Test
    void aDatedDenyWarnsWithItsDateBeforeItAndDeniesFromIt() throws Exception {
        Policy policy = policy(DATED);
        Subject subject = Subject.ofObject(latestTagged("shop", Map.of()));

        Decision before = at(JAN_3).decide(policy, subject, RelatedObjects.NONE);
        RuleResult early = before.result("image-tag").orElseThrow();
        assertThat(before.allowed()).isTrue();
        assertThat(early.disposition()).isEqualTo(Disposition.WOULD_DENY);
        assertThat(early.describe()).startsWith("[image-tag] (would deny; denied from 2027-01-15, in 12 days) ");
        assertThat(before.warningLines()).anyMatch(line -> line.contains("denied from 2027-01-15, in 12 days"));

        Decision lastHour = at(JAN_15.minusSeconds(3600)).decide(policy, subject, RelatedObjects.NONE);
        assertThat(lastHour.allowed()).isTrue();
        assertThat(lastHour.result("image-tag").orElseThrow().describe()).contains("in 1 hour");

        Decision from = at(JAN_15).decide(policy, subject, RelatedObjects.NONE);
        assertThat(from.allowed()).isFalse();
        assertThat(from.denied()).extracting(RuleResult::ruleId).containsExactly("image-tag");
        assertThat(from.result("image-tag").orElseThrow().schedule()).isNull();
    }

    @Test
    void inAuditModeADatedDenyIsAPlainWouldDeny() throws Exception {
        Policy policy = policy(DATED.replace("mode: enforce", "mode: audit"));
        Decision after = at(JAN_15.plusSeconds(86_400)).decide(policy,
                Subject.ofObject(latestTagged("shop", Map.of())), RelatedObjects.NONE);
        assertThat(after.allowed()).isTrue();
        assertThat(after.result("image-tag").orElseThrow().describe()).startsWith("[image-tag] (audit mode, would deny) ");
    }

    @Test
    void aDateTimeWithAnOffsetIsKeptToTheSecond() throws Exception {
        Policy policy = policy(DATED.replace("\"2027-01-15\"", "\"2027-01-15T09:30:00+01:00\""));
        assertThat(policy.scheduledEnforcements()).containsExactly(new Policy.ScheduledEnforcement("image-tag",
                Policy.CLUSTER_SCOPE, Instant.parse("2027-01-15T08:30:00Z")));
        Subject subject = Subject.ofObject(latestTagged("shop", Map.of()));
        assertThat(at(Instant.parse("2027-01-15T08:29:59Z")).decide(policy, subject, RelatedObjects.NONE).allowed())
                .isTrue();
        assertThat(at(Instant.parse("2027-01-15T08:30:00Z")).decide(policy, subject, RelatedObjects.NONE).allowed())
                .isFalse();
    }

    @Test
    void badDatesAndDatesOnNonDenyRulesAreLoadErrors() {
        assertThatThrownBy(() -> policy(DATED.replace("\"2027-01-15\"", "next week")))
                .hasMessageContaining("spec.rules[0].enforceFrom: enforceFrom 'next week' is not an RFC 3339 date");
        assertThatThrownBy(() -> policy(DATED.replace("action: deny", "action: warn")))
                .hasMessageContaining("spec.rules[0].enforceFrom: needs action deny, not warn");
    }

    // --- exemptions that end

    static Map<String, String> exempt(String until) {
        return until == null ? Map.of("safeguard.dev/exempt", "image-tag", "safeguard.dev/exempt-reason", "INC-42")
                : Map.of("safeguard.dev/exempt", "image-tag", "safeguard.dev/exempt-reason", "INC-42",
                        "safeguard.dev/exempt-until", until);
    }

    @Test
    void anExemptionCountsUntilItsEndAndThenTheViolationIsDenied() throws Exception {
        Policy policy = policy("mode: enforce");
        Subject subject = Subject.ofObject(latestTagged("shop", exempt("2027-01-15")));

        Decision before = at(JAN_3).decide(policy, subject, RelatedObjects.NONE);
        assertThat(before.allowed()).isTrue();
        assertThat(before.result("image-tag").orElseThrow().status()).isEqualTo(RuleResult.Status.EXEMPT);
        assertThat(before.exemptions()).containsExactly(new Exemptions.Exemption("image-tag", "INC-42", JAN_15, false));

        Decision after = at(JAN_15).decide(policy, subject, RelatedObjects.NONE);
        assertThat(after.allowed()).isFalse();
        assertThat(after.exemptions()).singleElement().satisfies(e -> assertThat(e.expired()).isTrue());
        assertThat(after.noticeLines()).contains("[safeguard.dev/exempt-until] expired on 2027-01-15: the exemption "
                + "from image-tag no longer applies");
    }

    @Test
    void thePolicyCanRequireAnEndAndCapHowFarAheadItIs() throws Exception {
        Policy policy = policy("""
                mode: enforce
                exemptions: {requireExpiry: true, maxDays: 90}
                """);
        Decision openEnded = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop", exempt(null))),
                RelatedObjects.NONE);
        assertThat(openEnded.allowed()).isFalse();
        assertThat(openEnded.noticeLines()).singleElement().asString()
                .startsWith("[safeguard.dev/exempt-until] ignored: the policy requires exemptions to end; add "
                        + "safeguard.dev/exempt-until (e.g. 2027-04-03)");

        Decision tooFar = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop", exempt("2027-09-01"))),
                RelatedObjects.NONE);
        assertThat(tooFar.allowed()).isFalse();
        assertThat(tooFar.noticeLines()).containsExactly("[safeguard.dev/exempt-until] ignored: 2027-09-01 is 241 "
                + "days away; the policy allows exemptions of at most 90 days (2027-04-03 at the latest)");

        Decision within = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop", exempt("2027-03-01"))),
                RelatedObjects.NONE);
        assertThat(within.allowed()).isTrue();

        Decision notADate = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop", exempt("soon"))),
                RelatedObjects.NONE);
        assertThat(notADate.allowed()).isFalse();
        assertThat(notADate.noticeLines()).singleElement().asString().contains("'soon' is not an RFC 3339 date");

        assertThatThrownBy(() -> policy("exemptions: {maxDays: 0}"))
                .hasMessageContaining("spec.exemptions.maxDays: must be at least 1");
    }

    // --- who may grant

    static final String GRANTORS = """
            mode: enforce
            exemptions:
              grantors:
                users: [alice]
                groups: [platform-admins]
                serviceAccounts: [argocd/argocd-application-controller]
            """;

    @Test
    void onlyAGrantorMayAddAnExemption() throws Exception {
        Policy policy = policy(GRANTORS);
        Map<String, Object> exempted = latestTagged("shop", exempt("2027-02-01"));

        Decision bob = at(JAN_3).decide(policy, create(exempted, "bob", List.of("developers")), RelatedObjects.NONE);
        assertThat(bob.allowed()).isFalse();
        assertThat(bob.denied()).extracting(RuleResult::describe).containsExactly("[exemption-grant] 'bob' may not "
                + "grant exemptions (safeguard.dev/exempt, safeguard.dev/exempt-reason, safeguard.dev/exempt-until): "
                + "only users [alice], groups [platform-admins], service accounts [argocd/argocd-application-controller] "
                + "may; ask one of them to set the annotations, or remove them", bob.result("image-tag").orElseThrow()
                        .describe());
        assertThat(bob.grant().allowed()).isFalse();

        for (Subject granted : List.of(create(exempted, "alice", List.of()),
                create(exempted, "carol", List.of("system:authenticated", "platform-admins")),
                create(exempted, "system:serviceaccount:argocd:argocd-application-controller", List.of()))) {
            Decision decision = at(JAN_3).decide(policy, granted, RelatedObjects.NONE);
            assertThat(decision.allowed()).as(granted.userInfo().toString()).isTrue();
            assertThat(decision.grant().allowed()).isTrue();
            assertThat(decision.result("image-tag").orElseThrow().status()).isEqualTo(RuleResult.Status.EXEMPT);
        }
    }

    @Test
    void onlyRequestsThatChangeTheExemptionAreGrants() throws Exception {
        Policy policy = policy(GRANTORS);
        Map<String, Object> exempted = latestTagged("shop", exempt("2027-02-01"));
        // Scaling an exempted Deployment changes no exemption annotation.
        Decision scaled = at(JAN_3).decide(policy, update(exempted, exempted, "bob"), RelatedObjects.NONE);
        assertThat(scaled.grant()).isNull();
        assertThat(scaled.allowed()).isTrue();
        // Pushing the end out does.
        Decision extended = at(JAN_3).decide(policy, update(latestTagged("shop", exempt("2027-03-01")), exempted, "bob"),
                RelatedObjects.NONE);
        assertThat(extended.allowed()).isFalse();
        assertThat(extended.denied()).extracting(RuleResult::ruleId).contains("exemption-grant");
        // Removing it is anyone's right.
        Decision removed = at(JAN_3).decide(policy, update(latestTagged("shop", Map.of()), exempted, "bob"),
                RelatedObjects.NONE);
        assertThat(removed.grant()).isNull();
        // A controller copying its owner's annotations grants nothing; neither does a manifest (no requester).
        Decision controller = at(JAN_3).decide(policy, create(exempted,
                "system:serviceaccount:kube-system:deployment-controller", List.of()), RelatedObjects.NONE);
        assertThat(controller.grant()).isNull();
        assertThat(at(JAN_3).decide(policy, Subject.ofObject(exempted), RelatedObjects.NONE).grant()).isNull();
    }

    @Test
    void withoutGrantorsAnyoneMayGrantAndTheGrantIsStillRecorded() throws Exception {
        Decision decision = at(JAN_3).decide(policy("mode: enforce"),
                create(latestTagged("shop", exempt(null)), "bob", List.of()), RelatedObjects.NONE);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.grant()).isEqualTo(new Exemptions.Grant("bob", new java.util.TreeMap<>(exempt(null)),
                true, null));
    }

    @Test
    void inAuditModeARefusedGrantIsAWouldDeny() throws Exception {
        Decision decision = at(JAN_3).decide(policy(GRANTORS.replace("mode: enforce", "mode: audit")),
                create(latestTagged("shop", exempt(null)), "bob", List.of()), RelatedObjects.NONE);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.warningLines()).anyMatch(line -> line.startsWith("[exemption-grant] (audit mode, would deny) "
                + "'bob' may not grant exemptions"));
    }

    @Test
    void grantorsAreCheckedWhenLoaded() {
        assertThatThrownBy(() -> policy("exemptions: {grantors: {serviceAccounts: [argocd]}}"))
                .hasMessageContaining("spec.exemptions.grantors.serviceAccounts[0]: 'argocd' is not namespace/name");
        assertThatThrownBy(() -> policy("""
                customRules:
                  - {id: exemption-grant, title: t, category: hygiene, action: warn, match: {kinds: [Pod]},
                     validation: "true", message: "'m'"}
                """)).hasMessageContaining("reserved rule id");
        assertThatThrownBy(() -> policy("exemptions: {grantors: {user: [alice]}}"))
                .hasMessageContaining("unknown field 'spec.exemptions.grantors.user'");
    }

    // --- per-namespace policy and teams

    static final String TEAMS = """
            mode: audit
            teamLabel: team
            namespaces:
              - name: team-a
                selector: {matchLabels: {team: a}}
                mode: enforce
              - name: payments
                selector:
                  matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [payments]}]
                mode: enforce
                rules:
                  - id: required-labels
                    action: deny
                    params: {labels: [cost-center]}
              - name: everything-else-in-team-a
                selector: {matchLabels: {team: a}}
                rules: [{id: image-tag, action: "off"}]
            """;

    /** Namespace labels as an informer would give them. */
    static RelatedObjects namespaces(Map<String, Map<String, String>> labels) {
        return new RelatedObjects() {
            @Override
            public List<Map<String, Object>> list(String kind, String namespace) {
                return List.of();
            }

            @Override
            public Map<String, ?> namespaceLabels(String namespace) {
                return labels.getOrDefault(namespace, Map.of());
            }
        };
    }

    @Test
    void twoNamespacesWithDifferentPoliciesGetDifferentAnswersForTheSameDeployment() throws Exception {
        Policy policy = policy(TEAMS);
        RelatedObjects cluster = namespaces(Map.of("shop-a", Map.of("team", "a"), "shop-b", Map.of("team", "b")));

        Decision teamA = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop-a", Map.of())), cluster);
        assertThat(teamA.allowed()).isFalse(); // first match wins: team-a enforces, the later entry never applies
        assertThat(teamA.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(teamA.team()).isEqualTo("a");

        Decision teamB = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop-b", Map.of())), cluster);
        assertThat(teamB.allowed()).isTrue();
        assertThat(teamB.mode()).isEqualTo(Mode.AUDIT);
        assertThat(teamB.team()).isEqualTo("b");
        assertThat(teamB.result("image-tag").orElseThrow().disposition()).isEqualTo(Disposition.WOULD_DENY);
    }

    @Test
    void theNameLabelSelectsANamespaceWithoutAnyInformer() throws Exception {
        Policy policy = policy(TEAMS);
        Decision payments = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("payments", Map.of())),
                RelatedObjects.NONE);
        assertThat(payments.allowed()).isFalse();
        assertThat(payments.denied()).extracting(RuleResult::ruleId).contains("required-labels", "image-tag");
        assertThat(payments.result("required-labels").orElseThrow().message()).contains("cost-center");
        assertThat(payments.team()).isEmpty();
        // The same Deployment anywhere else: required-labels stays off, audit mode.
        Decision elsewhere = at(JAN_3).decide(policy, Subject.ofObject(latestTagged("shop", Map.of())),
                RelatedObjects.NONE);
        assertThat(elsewhere.result("required-labels")).isEmpty();
        assertThat(elsewhere.allowed()).isTrue();
    }

    @Test
    void aNamespaceEntryMayDateItsOwnEnforcement() throws Exception {
        Policy policy = policy("""
                mode: enforce
                rules: [{id: image-tag, action: warn}]
                namespaces:
                  - name: team-a
                    selector: {matchLabels: {team: a}}
                    rules: [{id: image-tag, action: deny, enforceFrom: "2027-01-15"}]
                """);
        RelatedObjects cluster = namespaces(Map.of("shop-a", Map.of("team", "a")));
        Subject inTeamA = Subject.ofObject(latestTagged("shop-a", Map.of()));
        assertThat(at(JAN_3).decide(policy, inTeamA, cluster).result("image-tag").orElseThrow().describe())
                .contains("(would deny; denied from 2027-01-15, in 12 days)");
        assertThat(at(JAN_15).decide(policy, inTeamA, cluster).allowed()).isFalse();
        assertThat(at(JAN_15).decide(policy, Subject.ofObject(latestTagged("shop-b", Map.of())), cluster)
                .result("image-tag").orElseThrow().disposition()).isEqualTo(Disposition.WARN);
        assertThat(policy.scheduledEnforcements()).containsExactly(
                new Policy.ScheduledEnforcement("image-tag", "team-a", JAN_15));
        assertThat(policy.contextKinds()).contains("Namespace");
    }

    @Test
    void namespaceEntriesAreCheckedWhenLoaded() {
        assertThatThrownBy(() -> policy("namespaces: [{selector: {matchExpressions: [{key: team, operator: Is}]}}]"))
                .hasMessageContaining("spec.namespaces[0].selector.matchExpressions[0].operator: 'Is' is not In, NotIn");
        assertThatThrownBy(() -> policy("namespaces: [{selector: {matchExpressions: [{key: team, operator: In}]}}]"))
                .hasMessageContaining("spec.namespaces[0].selector.matchExpressions[0].values: required");
        assertThatThrownBy(() -> policy("namespaces: [{name: a, selector: {}}, {name: a, selector: {}}]"))
                .hasMessageContaining("spec.namespaces[1].name: 'a' names another entry too");
        assertThatThrownBy(() -> policy("namespaces: [{selector: {}, rules: [{id: no-such-rule, action: deny}]}]"))
                .hasMessageContaining("spec.namespaces[0].rules[0]: no rule with this id");
        assertThatThrownBy(() -> policy("namespaces: [{selector: {}, mode: strict}]"))
                .hasMessageContaining("spec.namespaces[0].mode");
        assertThatThrownBy(() -> policy("namespaces: [{rules: []}]"))
                .hasMessageContaining("selector");
        assertThatThrownBy(() -> policy("teamLabel: 'team name'"))
                .hasMessageContaining("spec.teamLabel: 'team name' is not a label key");
    }

    @Test
    void switchingThePolicyToAuditStopsEveryNamespacesDenials() throws Exception {
        Policy audit = policy(TEAMS).withMode(Mode.AUDIT);
        RelatedObjects cluster = namespaces(Map.of("shop-a", Map.of("team", "a")));
        assertThat(at(JAN_3).decide(audit, Subject.ofObject(latestTagged("shop-a", Map.of())), cluster).allowed())
                .isTrue();
    }
}
