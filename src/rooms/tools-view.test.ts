import { describe, expect, test } from "bun:test";
import { LOCALES } from "../ui/i18n.ts";
import { toolStrings, transcriptStrings } from "./tool-strings.ts";
import { toolButtons, toolPanels } from "./tools-view.ts";

describe("the room tools' panels", () => {
  test("speak the page's language, and only facilitators get the poll form and 'call on the next person'", () => {
    for (const locale of LOCALES) {
      const s = toolStrings(locale);
      const member = `${toolButtons(locale)}${toolPanels(locale, "member")}`;
      const clinician = `${toolButtons(locale)}${toolPanels(locale, "clinician")}`;
      for (const label of [s.raiseHand, s.chat, s.hands, s.chatToFacilitators, s.chatSend]) expect(member).toContain(label.replace(/'/g, "&#39;"));
      expect(member).not.toContain('id="poll-form"');
      expect(member).not.toContain('id="hand-call-next"');
      expect(clinician).toContain('id="poll-form"');
      expect(clinician).toContain(s.handCallNext.replace(/'/g, "&#39;"));
    }
    expect(toolStrings("fr").raiseHand).toBe("Lever la main");
    expect(toolStrings("es").raiseHand).toBe("Levantar la mano");
  });

  test("every string exists in French and Spanish, with the same placeholders", () => {
    for (const strings of [toolStrings, transcriptStrings]) {
      const en = strings("en") as Record<string, string>;
      for (const locale of ["fr", "es"] as const) {
        const other = strings(locale) as Record<string, string>;
        expect(Object.keys(other).sort()).toEqual(Object.keys(en).sort());
        // Placeholders survive translation.
        for (const [k, v] of Object.entries(en)) expect((other[k]!.match(/\{\w+\}/g) ?? []).sort()).toEqual((v.match(/\{\w+\}/g) ?? []).sort());
      }
    }
  });
});
