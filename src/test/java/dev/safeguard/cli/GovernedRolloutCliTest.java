package dev.safeguard.cli;

import static dev.safeguard.cli.Cli.deployment;
import static dev.safeguard.cli.Cli.run;
import static dev.safeguard.cli.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check --at} and {@code --namespace-labels}, readiness and the VAP export with a dated, per-namespace policy. */
class GovernedRolloutCliTest {

    @TempDir
    Path dir;
    Path policy;
    /** Three replicas without a topology spread: violates replicas-spread (deny) and nothing else. */
    Path unspread;

    @BeforeEach
    void files() throws Exception {
        policy = write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: rollout}
                spec:
                  mode: enforce
                  rules:
                    - {id: replicas-spread, action: deny, enforceFrom: "2027-01-15"}
                  teamLabel: team
                  namespaces:
                    - name: team-a
                      selector: {matchLabels: {team: a}}
                      rules: [{id: replicas-spread, action: deny}]
                """);
        unspread = write(dir, "web.yaml", deployment("web", "shop", 3, false));
    }

    @Test
    void atPreviewsADatedDenyBeforeAndFromItsDate() {
        Cli.Run before = run("check", "--policy", policy.toString(), "--at", "2027-01-03", unspread.toString());
        assertThat(before.exit()).as(before.out()).isZero();
        assertThat(before.out()).contains("WOULD DENY [replicas-spread] (denied from 2027-01-15, in 12 days) all 3 replicas");

        Cli.Run from = run("check", "--policy", policy.toString(), "--at", "2027-01-15T00:00:00Z", unspread.toString());
        assertThat(from.exit()).as(from.out()).isEqualTo(1);
        assertThat(from.out()).doesNotContain("would deny");
    }

    @Test
    void namespaceLabelsPickTheNamespacesPolicyOffline() throws Exception {
        Cli.Run teamA = run("check", "--policy", policy.toString(), "--at", "2027-01-03", "--namespace-labels",
                "team=a,tier=web", unspread.toString());
        assertThat(teamA.exit()).as(teamA.out()).isEqualTo(1);
        Cli.Run json = run("check", "--policy", policy.toString(), "--at", "2027-01-03", "--namespace-labels",
                "team=b", "-o", "json", unspread.toString());
        JsonNode object = new ObjectMapper().readTree(json.out()).path("results").path(0);
        assertThat(object.path("team").asText()).isEqualTo("b");
        assertThat(object.path("violations").findValuesAsText("enforceFrom")).containsExactly("2027-01-15");

        Cli.Run teamB = run("check", "--policy", policy.toString(), "--at", "2027-01-03", "--namespace-labels",
                "team=b", unspread.toString());
        assertThat(teamB.exit()).as(teamB.out()).isZero();
    }

    @Test
    void aNamespaceInTheInputBringsItsOwnLabels() throws Exception {
        write(dir, "namespace.yaml", """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: shop
                  labels: {team: a}
                """);
        Cli.Run run = run("check", "--policy", policy.toString(), "--at", "2027-01-03", dir.resolve("web.yaml").toString(),
                dir.resolve("namespace.yaml").toString());
        assertThat(run.exit()).as(run.out()).isEqualTo(1);
        // The flag wins over the Namespace's own labels.
        Cli.Run overridden = run("check", "--policy", policy.toString(), "--at", "2027-01-03", "--namespace-labels",
                "team=b", dir.resolve("web.yaml").toString(), dir.resolve("namespace.yaml").toString());
        assertThat(overridden.exit()).as(overridden.out()).isZero();
    }

    @Test
    void aBadDateIsAUsageError() {
        Cli.Run run = run("check", "--policy", policy.toString(), "--at", "next week", unspread.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--at: date 'next week' is not an RFC 3339 date");
    }

    @Test
    void readinessShowsWhenEachDatedRuleStartsDenying() {
        Cli.Run run = run("readiness", "--policy", policy.toString(), "--at", "2027-01-03", unspread.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("deny from 2027-01-15")
                .containsPattern("replicas-spread +denies from 2027-01-15 in cluster: 1 object would be denied today");
    }

    @Test
    void theVapExportSaysWhatItCannotCarry() {
        Cli.Run run = run("export", "vap", "--policy", policy.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("spec.namespaces (1 entries) is not exported")
                .contains("replicas-spread: exported as a would-deny ([Warn, Audit]) because its enforceFrom 2027-01-15");
    }
}
