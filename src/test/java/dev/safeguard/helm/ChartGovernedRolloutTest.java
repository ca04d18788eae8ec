package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.tuple;
import dev.safeguard.rules.ExemptionPolicy;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.NamespacePolicy;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyLoader;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoader;
import java.time.Instant;
import static dev.safeguard.helm.Chart.AUDIT;
import static dev.safeguard.helm.Chart.RELEASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.helm.Chart.Render;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The governed-rollout values (issue #13): dated enforcement (rules[].enforceFrom), exemptions that end and who may
 * grant them (exemptions), per-namespace policy (namespaces) and team routing (teamLabel). Set, they reach the
 * policy file as written; unset, the policy file is what it was before them; wrong, the schema refuses them.
 */
class ChartGovernedRolloutTest {

    static final String FULL = """
            policy:
              mode: enforce
              rules:
                - id: privileged
                  action: deny
                  enforceFrom: "2027-01-15"
              exemptions:
                requireExpiry: true
                maxDays: 90
                grantors:
                  users: [alice@example.com]
                  groups: [platform-admins]
                  serviceAccounts: [argocd/argocd-application-controller]
              namespaces:
                - name: team-a
                  selector:
                    matchLabels: {team: a}
                    matchExpressions:
                      - {key: kubernetes.io/metadata.name, operator: NotIn, values: [team-a-sandbox]}
                  mode: enforce
                  rules:
                    - id: required-labels
                      action: deny
                      enforceFrom: "2027-02-01T09:00:00+01:00"
                      params: {labels: [cost-center]}
                - selector:
                    matchExpressions:
                      - {key: team, operator: Exists}
                  mode: audit
              teamLabel: team
            """;

    @Test
    void unsetTheyRenderNothingNew() {
        JsonNode spec = Chart.render().policy().path("spec");
        List<String> keys = new ArrayList<>();
        spec.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("mode", "rules", "customRules", "exclude");
        // Values equal to the defaults, given explicitly, render nothing either.
        JsonNode explicit = Chart.render(Map.of(), """
                policy:
                  exemptions: {requireExpiry: false, maxDays: null, grantors: {users: [], groups: [], serviceAccounts: []}}
                  namespaces: []
                  teamLabel: ""
                """).policy().path("spec");
        assertThat(explicit).isEqualTo(spec);
    }

    @Test
    void setTheyReachThePolicyFileAsWritten() throws Exception {
        JsonNode spec = Chart.render(Map.of(), FULL).policy().path("spec");
        JsonNode values = Chart.YAML.readTree(FULL).path("policy");

        assertThat(spec.path("rules").get(0).path("enforceFrom").isTextual()).isTrue();
        assertThat(spec.path("rules").get(0).path("enforceFrom").asText()).isEqualTo("2027-01-15");
        assertThat(spec.path("exemptions")).isEqualTo(values.path("exemptions"));
        assertThat(spec.path("exemptions").path("maxDays").isIntegralNumber()).isTrue();
        assertThat(spec.path("namespaces")).isEqualTo(values.path("namespaces"));
        assertThat(spec.path("namespaces").get(0).path("rules").get(0).path("enforceFrom").asText())
                .isEqualTo("2027-02-01T09:00:00+01:00");
        assertThat(spec.path("teamLabel").asText()).isEqualTo("team");
        assertThat(spec.path("mode").asText()).isEqualTo("enforce");
    }

    /** What the chart renders is what the webhook loads: dates, exemption settings, namespace entries, team label. */
    @Test
    void theRenderedPolicyLoadsWithEverySettingInPlace() throws Exception {
        RuleLoader rules = new RuleLoader(new RuleCompiler());
        Policy policy = new PolicyLoader(rules, rules.loadBuiltInPack()).parse("chart policy.yaml",
                Chart.render(Map.of(), FULL).named("ConfigMap", RELEASE + "-policy").path("data").path("policy.yaml")
                        .asText());
        // team-a carries the policy's date for privileged; the audit-mode entry schedules nothing.
        assertThat(policy.scheduledEnforcements()).containsExactlyInAnyOrder(
                new Policy.ScheduledEnforcement("privileged", Policy.CLUSTER_SCOPE, Instant.parse("2027-01-15T00:00:00Z")),
                new Policy.ScheduledEnforcement("privileged", "team-a", Instant.parse("2027-01-15T00:00:00Z")),
                new Policy.ScheduledEnforcement("required-labels", "team-a", Instant.parse("2027-02-01T08:00:00Z")));
        assertThat(policy.exemptions()).isEqualTo(new ExemptionPolicy(true, 90, new ExemptionPolicy.Grantors(
                List.of("alice@example.com"), List.of("platform-admins"), List.of("argocd/argocd-application-controller"))));
        assertThat(policy.namespaces()).extracting(NamespacePolicy::name, NamespacePolicy::mode)
                .containsExactly(tuple("team-a", Mode.ENFORCE), tuple("namespaces[1]", Mode.AUDIT));
        assertThat(policy.namespaceEntry(Map.of("team", "a", "kubernetes.io/metadata.name", "team-a-sandbox")).name())
                .isEqualTo("namespaces[1]");
        assertThat(policy.teamLabel()).isEqualTo("team");
    }

    @Test
    void onlyTheExemptionSettingsGivenAreRendered() {
        JsonNode exemptions = Chart.render("policy.exemptions.grantors.groups[0]", "platform-admins")
                .policy().path("spec").path("exemptions");
        assertThat(exemptions.toString()).isEqualTo("{\"grantors\":{\"groups\":[\"platform-admins\"]}}");

        exemptions = Chart.render("policy.exemptions.maxDays", "30").policy().path("spec").path("exemptions");
        assertThat(exemptions.toString()).isEqualTo("{\"maxDays\":30}");

        exemptions = Chart.render("policy.exemptions.requireExpiry", "true").policy().path("spec").path("exemptions");
        assertThat(exemptions.toString()).isEqualTo("{\"requireExpiry\":true}");
    }

    @Test
    void anUnquotedDateInAValuesFileStillReachesThePolicyAsTheDate() {
        JsonNode rule = Chart.render(Map.of(), """
                policy:
                  rules:
                    - {id: privileged, action: deny, enforceFrom: 2027-01-15}
                """).policy().path("spec").path("rules").get(0);
        assertThat(rule.path("enforceFrom").asText()).isEqualTo("2027-01-15");
    }

    @ParameterizedTest(name = "enforceFrom {0} is accepted")
    @ValueSource(strings = {"2027-01-15", "2027-01-15T00:00:00Z", "2027-01-15T09:30:00+01:00",
            "2027-01-15T09:30:00.5-05:00", "2028-02-29"})
    void rfc3339DatesAndDateTimesAreAccepted(String date) {
        JsonNode rule = Chart.render(Map.of(), """
                policy:
                  rules:
                    - {id: privileged, action: deny, enforceFrom: "%s"}
                """.formatted(date)).policy().path("spec").path("rules").get(0);
        assertThat(rule.path("enforceFrom").asText()).isEqualTo(date);
    }

    @ParameterizedTest(name = "{0}={1} is refused")
    @CsvSource(delimiter = '|', textBlock = """
            policy.exemptions.maxDays                      | 0            | /policy/exemptions/maxDays': minimum: got 0, want 1
            policy.exemptions.maxDays                      | ninety       | /policy/exemptions/maxDays'
            policy.exemptions.requireExpiry                | yes please   | /policy/exemptions/requireExpiry': got string, want boolean
            policy.exemptions.expiry                       | true         | additional properties 'expiry' not allowed
            policy.exemptions.grantors.serviceAccounts[0]  | argocd-application-controller | /policy/exemptions/grantors/serviceAccounts/0'
            policy.exemptions.grantors.teams[0]            | platform     | additional properties 'teams' not allowed
            policy.teamLabel                               | team label   | /policy/teamLabel'
            policy.teamLabels                              | team         | additional properties 'teamLabels' not allowed
            """)
    void schemaRefusesWrongExemptionAndTeamSettings(String key, String value, String message) {
        assertThatThrownBy(() -> Chart.render(key, value))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            enforceFrom in words                | rules: [{id: privileged, action: deny, enforceFrom: next week}]                              | /policy/rules/0/enforceFrom'
            enforceFrom not a day               | rules: [{id: privileged, action: deny, enforceFrom: "2027-13-01"}]                           | /policy/rules/0/enforceFrom'
            enforceFrom without an offset       | rules: [{id: privileged, action: deny, enforceFrom: "2027-01-15T09:00:00"}]                  | /policy/rules/0/enforceFrom'
            enforceFrom with action warn        | rules: [{id: privileged, action: warn, enforceFrom: "2027-01-15"}]                           | /policy/rules/0/action'
            enforceFrom without an action       | rules: [{id: privileged, enforceFrom: "2027-01-15"}]                                         | /policy/rules/0'
            a namespaces entry in mode strict   | namespaces: [{selector: {matchLabels: {team: a}}, mode: strict}]                             | /policy/namespaces/0/mode': value must be one of 'audit', 'enforce'
            a namespaces entry without selector | namespaces: [{name: team-a, mode: enforce}]                                                  | missing property 'selector'
            a namespaces entry's unknown key    | namespaces: [{selector: {matchLabels: {team: a}}, exclude: {namespaces: [x]}}]               | additional properties 'exclude' not allowed
            a selector operator Kubernetes lacks | namespaces: [{selector: {matchExpressions: [{key: team, operator: Equals, values: [a]}]}}]  | /policy/namespaces/0/selector/matchExpressions/0/operator'
            a selector with a typo               | namespaces: [{selector: {matchLabel: {team: a}}}]                                          | additional properties 'matchLabel' not allowed
            a bad date in a namespaces entry    | namespaces: [{selector: {matchLabels: {team: a}}, rules: [{id: privileged, action: deny, enforceFrom: soon}]}] | /policy/namespaces/0/rules/0/enforceFrom'
            a typo in a namespaces entry's rule | namespaces: [{selector: {matchLabels: {team: a}}, rules: [{id: privileged, acton: deny}]}]   | additional properties 'acton' not allowed
            """)
    void schemaRefusesWrongDatesAndNamespaceEntries(String what, String policy, String message) {
        assertThatThrownBy(() -> Chart.render(Map.of(), "policy:\n  " + policy + "\n"))
                .as(what)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(message);
    }

    /**
     * NOTES.txt must not say "Nothing is rejected" without saying that a namespaces entry may enforce, and tells
     * the dates the policy has scheduled.
     */
    @Test
    void notesTellThePerNamespacePolicyAndTheScheduledDates() throws Exception {
        Path values = Files.createTempFile("governed-rollout", ".yaml");
        values.toFile().deleteOnExit();
        Files.writeString(values, FULL.replace("mode: enforce\n  rules:", "mode: audit\n  rules:"));
        var install = Chart.helm().install().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
                .withKubeVersion(Chart.KUBE_VERSION).dryRun().withDryRunOption(com.marcnuri.helm.DryRun.CLIENT)
                .clientOnly().withValuesFile(values);
        String output = install.call().getOutput();
        String notes = output.substring(output.indexOf("NOTES:"));
        assertThat(notes).contains("Policy mode: AUDIT (namespaces no entry below matches)")
                .contains("team-a: mode ENFORCE, selector {\"matchExpressions\"")
                .contains("namespaces[1]: mode AUDIT, selector {\"matchExpressions\":[{\"key\":\"team\",\"operator\":\"Exists\"}]}")
                .contains("privileged from 2027-01-15 (cluster)")
                .contains("required-labels from 2027-02-01T09:00:00+01:00 (team-a)")
                .contains("ending on a date (required by this policy): safeguard.dev/exempt-until")
                .contains("granted only by: users [\"alice@example.com\"], groups [\"platform-admins\"], "
                        + "service accounts [\"argocd/argocd-application-controller\"]");

        String plain = ChartValuesTest.notes(Map.of());
        assertThat(plain).contains("Policy mode: AUDIT\n")
                .contains("ending on a date (optional): safeguard.dev/exempt-until")
                .doesNotContain("Per-namespace policy", "Scheduled enforcement", "granted only by");
    }

    /** The Helm values of each step of the worked rollout in docs/operations.md are values the chart takes. */
    @Test
    void theWorkedRolloutInTheOperatorsGuideRenders() throws Exception {
        String guide = Files.readString(Path.of("docs/operations.md"));
        int start = guide.indexOf("### Team by team: a governed rollout");
        assertThat(start).as("the section in docs/operations.md").isNotNegative();
        String section = guide.substring(start, guide.indexOf("\n## ", start));
        Matcher block = Pattern.compile("```yaml\n(policy:\n.*?)```", Pattern.DOTALL).matcher(section);
        List<JsonNode> specs = new ArrayList<>();
        while (block.find()) {
            specs.add(Chart.render(Map.of(), block.group(1)).policy().path("spec"));
        }
        assertThat(specs).as("the values of steps 1, 3 and 4").hasSize(3);
        assertThat(specs).allSatisfy(spec -> assertThat(spec.path("teamLabel").asText()).isEqualTo("team"));
        JsonNode teamA = specs.get(1).path("namespaces").get(0);
        assertThat(specs.get(1).path("mode").asText()).isEqualTo("audit");
        assertThat(teamA.path("mode").asText()).isEqualTo("enforce");
        assertThat(teamA.path("rules")).as("every deny rule of the pack dated").hasSize(10)
                .allSatisfy(rule -> assertThat(rule.path("enforceFrom").asText()).matches("2027-0[23]-01"));
        assertThat(specs.get(2).path("mode").asText()).isEqualTo("enforce");
        assertThat(specs.get(2).path("rules").get(0).path("enforceFrom").asText()).isEqualTo("2027-05-01");
    }

    /**
     * Namespace labels (per-namespace policy, team routing) come from a watch of Namespaces in the webhook and in
     * the audit: both ClusterRoles must let them list and watch them, whatever else is configured.
     */
    @ParameterizedTest(name = "context.enabled={0}")
    @ValueSource(strings = {"true", "false"})
    void theWebhookAndTheAuditMayWatchNamespaces(String context) {
        Render render = Chart.render(Map.of("context.enabled", context), FULL);
        for (String role : List.of(RELEASE, AUDIT)) {
            boolean granted = false;
            for (JsonNode rule : render.named("ClusterRole", role).path("rules")) {
                List<String> groups = ChartRenderTest.strings(rule.path("apiGroups"));
                List<String> resources = ChartRenderTest.strings(rule.path("resources"));
                List<String> verbs = ChartRenderTest.strings(rule.path("verbs"));
                if (groups.contains("") && resources.contains("namespaces") && !rule.has("resourceNames")
                        && verbs.containsAll(List.of("get", "list", "watch"))) {
                    granted = true;
                }
            }
            assertThat(granted).as("ClusterRole %s gets, lists and watches namespaces", role).isTrue();
        }
    }
}
