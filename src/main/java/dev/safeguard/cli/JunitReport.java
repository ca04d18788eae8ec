package dev.safeguard.cli;

import dev.safeguard.rules.Decision;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleEngine;
import dev.safeguard.rules.RuleError;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.rules.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps): a test suite per source file and a test
 * case per object and rule evaluated on it. A violation at or above --fail-on is a failure; one below it passes
 * with the finding in system-out; an exempted rule or an object in an excluded namespace is skipped; a rule
 * that could not be evaluated passes (as in the webhook) with the error in system-err.
 */
final class JunitReport {

    /** One test case before it is written. */
    private record Case(String name, String classname, String file, CheckReport.Finding finding, boolean failure,
            String skipped, String error) {
    }

    private JunitReport() {
    }

    static void write(CheckReport report, PrintWriter out) throws IOException {
        Map<String, List<Case>> suites = new LinkedHashMap<>();
        for (CheckReport.ObjectResult result : report.results()) {
            suites.computeIfAbsent(result.manifest().source(), source -> new ArrayList<>())
                    .addAll(cases(report, result));
        }
        try {
            XMLStreamWriter xml = XMLOutputFactory.newInstance().createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("testsuites");
            xml.writeAttribute("name", "safeguard check");
            counts(xml, suites.values().stream().flatMap(List::stream).toList());
            for (Map.Entry<String, List<Case>> suite : suites.entrySet()) {
                xml.writeCharacters("\n  ");
                xml.writeStartElement("testsuite");
                xml.writeAttribute("name", clean(suite.getKey()));
                counts(xml, suite.getValue());
                for (Case testCase : suite.getValue()) {
                    xml.writeCharacters("\n    ");
                    write(xml, testCase);
                }
                xml.writeCharacters("\n  ");
                xml.writeEndElement();
            }
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.writeCharacters("\n");
            xml.flush();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write the JUnit report: " + e.getMessage(), e);
        }
    }

    private static List<Case> cases(CheckReport report, CheckReport.ObjectResult result) {
        Decision decision = result.decision();
        Workload workload = Workload.of(result.manifest().object());
        Map<String, String> exempt = new LinkedHashMap<>();
        for (Decision.Exemption exemption : decision.exemptions()) {
            exempt.put(exemption.ruleId(), exemption.reason());
        }
        Map<String, String> errors = new LinkedHashMap<>();
        for (RuleError error : decision.errors()) {
            errors.merge(error.ruleId(), error.message(), (first, second) -> first + "\n" + second);
        }
        String classname = result.reference();
        String file = result.manifest().source();
        List<Case> cases = new ArrayList<>();
        for (RuleSet.Entry entry : report.policy().rules().entries()) {
            if (!RuleEngine.applies(entry, workload)) {
                continue;
            }
            String id = entry.id();
            CheckReport.Finding finding = result.finding(id);
            String skipped = decision.excluded()
                    ? "namespace " + result.manifest().namespace() + " is excluded by the policy"
                    : exempt.containsKey(id) ? "exempt (" + PolicyEngine.EXEMPT_ANNOTATION + "): " + exempt.get(id) : null;
            cases.add(new Case(id, classname, file, finding, finding != null && report.fails(finding), skipped,
                    errors.get(id)));
        }
        return cases;
    }

    private static void write(XMLStreamWriter xml, Case testCase) throws XMLStreamException {
        xml.writeStartElement("testcase");
        xml.writeAttribute("name", testCase.name());
        xml.writeAttribute("classname", clean(testCase.classname()));
        xml.writeAttribute("file", clean(testCase.file()));
        CheckReport.Finding finding = testCase.finding();
        if (testCase.skipped() != null) {
            xml.writeEmptyElement("skipped");
            xml.writeAttribute("message", clean(testCase.skipped()));
        } else if (testCase.failure()) {
            xml.writeStartElement("failure");
            xml.writeAttribute("type", finding.outcome().id());
            xml.writeAttribute("message", clean(finding.message()));
            xml.writeCharacters(clean("[" + finding.rule() + "] " + testCase.classname() + ": " + finding.message()));
            xml.writeEndElement();
        } else if (finding != null) {
            xml.writeStartElement("system-out");
            xml.writeCharacters(clean(finding.outcome().id() + " [" + finding.rule() + "] " + finding.message()));
            xml.writeEndElement();
        }
        if (testCase.error() != null) {
            xml.writeStartElement("system-err");
            xml.writeCharacters(clean("could not be evaluated and counts as passed: " + testCase.error()));
            xml.writeEndElement();
        }
        xml.writeEndElement();
    }

    private static void counts(XMLStreamWriter xml, List<Case> cases) throws XMLStreamException {
        xml.writeAttribute("tests", String.valueOf(cases.size()));
        xml.writeAttribute("failures", String.valueOf(cases.stream().filter(c -> c.skipped() == null && c.failure()).count()));
        xml.writeAttribute("errors", "0");
        xml.writeAttribute("skipped", String.valueOf(cases.stream().filter(c -> c.skipped() != null).count()));
    }

    /** XML 1.0 cannot carry most control characters, even escaped: drop them. */
    private static String clean(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder clean = new StringBuilder(text.length());
        text.codePoints().filter(c -> c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && (c < 0xD800 || c > 0xDFFF) && c != 0xFFFE && c != 0xFFFF))
                .forEach(clean::appendCodePoint);
        return clean.toString();
    }
}
