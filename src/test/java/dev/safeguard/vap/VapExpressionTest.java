package dev.safeguard.vap;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rewrite to VAP variables works on the AST: only free identifiers change, layout is kept. */
class VapExpressionTest {

    static VapExpression rewrite(String expression) throws Exception {
        return VapExpression.of(expression, Set.copyOf(VapExporter.DERIVED), Set.of());
    }

    @Test
    void onlyFreeReferencesToDerivedVariablesAreRewritten() throws Exception {
        VapExpression expression = rewrite(
                "podSpec.volumes.exists(podSpec, podSpec.name == 'podSpec') && object.podSpec == params.x"
                        + " && [replicas].all(r, r > replicas)");

        assertThat(expression.text()).isEqualTo(
                "variables.podSpec.volumes.exists(podSpec, podSpec.name == 'podSpec') && object.podSpec == variables.params.x"
                        + " && [variables.replicas].all(r, r > variables.replicas)");
        assertThat(expression.freeIdentifiers()).containsExactly("object", "params", "podSpec", "replicas");
    }

    @Test
    void hasAndNestedMacrosAreRewrittenInside() throws Exception {
        VapExpression expression = rewrite(
                "has(podSpec.os) && containers.filter(c, has(c.image)).map(c, podSpecPath + c.name).size() > 0");

        assertThat(expression.text()).isEqualTo("has(variables.podSpec.os) && variables.containers.filter(c, "
                + "has(c.image)).map(c, variables.podSpecPath + c.name).size() > 0");
        assertThat(expression.containerFields()).containsExactly("image", "name");
        assertThat(expression.problems()).isEmpty();
    }

    @Test
    void theRulesLayoutIsKept() throws Exception {
        String rule = """
                replicas <= 1
                  || (has(podSpec.affinity)  // a comment
                      && 'x' in params.keys)""";

        assertThat(rewrite(rule).text()).isEqualTo("""
                variables.replicas <= 1
                  || (has(variables.podSpec.affinity)  // a comment
                      && 'x' in variables.params.keys)""");
    }

    @Test
    void optionalFieldReadsOnContainersCount() throws Exception {
        VapExpression expression = rewrite("containers.all(c, c.?securityContext.orValue({}) != {} || size(containers) > 1)");

        assertThat(expression.containerFields()).containsExactly("securityContext");
        assertThat(expression.problems()).isEmpty();
    }

    @Test
    void containerElementsUsedAsWholeValuesAreReported() throws Exception {
        assertThat(rewrite("containers.map(c, c).size() > 0").problems())
                .containsExactly("an element of containers ('c') is used as a whole value, not only through its fields");
        assertThat(rewrite("containers[0].image != ''").problems())
                .containsExactly("containers is used other than by iterating over it or taking its size");
        assertThat(rewrite("containers.filter(c, has(c.image)) == []").problems())
                .containsExactly("the elements containers.filter(...) selects are used as whole values, not only "
                        + "through their fields");
        assertThat(rewrite("[containers].size() > 0").problems()).hasSize(1);
    }

    @Test
    void aRuleVariableHoldingContainersIsTrackedLikeContainers() throws Exception {
        VapExpression offenders = rewrite("containers.filter(c, has(c.securityContext) && c.securityContext.privileged)");
        assertThat(offenders.containerList()).isTrue();
        assertThat(offenders.problems()).isEmpty();
        assertThat(offenders.containerFields()).containsExactly("securityContext");

        Set<String> derived = Set.copyOf(VapExporter.DERIVED);
        VapExpression message = VapExpression.of("variables.offenders.map(c, c.name).join(', ') + podSpecPath", derived,
                Set.of("offenders"));
        assertThat(message.containerList()).isFalse();
        assertThat(message.containerFields()).containsExactly("name");
        assertThat(message.problems()).isEmpty();
        // rule variables are read as in a ValidatingAdmissionPolicy already: only derived ones are rewritten
        assertThat(message.text()).isEqualTo("variables.offenders.map(c, c.name).join(', ') + variables.podSpecPath");
        assertThat(VapExpression.of("size(variables.offenders) == 0", derived, Set.of("offenders")).problems()).isEmpty();
        assertThat(VapExpression.of("variables.offenders[0].name", derived, Set.of("offenders")).problems())
                .containsExactly("variables.offenders, a list of containers, is used other than by iterating over it "
                        + "or taking its size");
    }

    @Test
    void aComprehensionVariableNamedContainersShadowsTheList() throws Exception {
        VapExpression expression = rewrite("[[1]].all(containers, containers[0] == 1)");

        assertThat(expression.text()).isEqualTo("[[1]].all(containers, containers[0] == 1)");
        assertThat(expression.problems()).isEmpty();
        assertThat(expression.freeIdentifiers()).isEmpty();
    }

    @Test
    void celBindIsNamedAndItsVariableIsBound() throws Exception {
        VapExpression expression = rewrite("cel.bind(podSpec, object.spec, has(podSpec.x))");

        assertThat(expression.functions()).contains("cel.bind");
        assertThat(expression.freeIdentifiers()).containsExactly("object");
        assertThat(expression.text()).isEqualTo("cel.bind(podSpec, object.spec, has(podSpec.x))");
    }

    @Test
    void typeNamesAreNoVariables() throws Exception {
        assertThat(rewrite("type(object.x) == int || type(object.x) == string").freeIdentifiers())
                .containsExactly("object");
    }

    @Test
    void paramsBecomeHomogeneousCelLiterals() {
        assertThat(CelLiteral.of(Map.of("allowed", List.of("a/", "b'c")))).isEqualTo("{'allowed': ['a/', 'b\\'c']}");
        assertThat(CelLiteral.of(List.of(80L, 443L))).isEqualTo("[80, 443]");
        assertThat(CelLiteral.of(List.of(80L, "http"))).isEqualTo("[dyn(80), dyn('http')]");
        var mixed = new LinkedHashMap<String, Object>();
        mixed.put("keys", List.of("k"));
        mixed.put("max", 3L);
        mixed.put("on", true);
        assertThat(CelLiteral.of(mixed)).isEqualTo("{'keys': dyn(['k']), 'max': dyn(3), 'on': dyn(true)}");
        assertThat(CelLiteral.of(1.5)).isEqualTo("1.5");
        assertThat(CelLiteral.of("line\nbreak\\")).isEqualTo("'line\\nbreak\\\\'");
    }
}
