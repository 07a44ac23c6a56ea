/**
 * The two measures, exactly as published. PHQ-9 (Kroenke, Spitzer & Williams 2001) and GAD-7
 * (Spitzer, Kroenke, Williams & Löwe 2006) were developed by Drs. Robert L. Spitzer, Janet B.W.
 * Williams, Kurt Kroenke and colleagues with an educational grant from Pfizer Inc.; no permission
 * is required to reproduce, translate, display or distribute them. The wording below is the
 * English (USA) original and Pfizer's official translations from phqscreeners.com: "French for
 * France" and "Spanish for USA". A questionnaire's words are not UI strings: they must never be
 * rephrased, so they live here rather than in strings.ts, in every language at once (a patient
 * may answer in a language other than the page's).
 */
export type MeasureLanguage = "en" | "fr" | "es";
export const MEASURE_LANGUAGES: readonly MeasureLanguage[] = ["en", "fr", "es"];
export type InstrumentId = "phq9" | "gad7";
export const INSTRUMENTS: readonly InstrumentId[] = ["phq9", "gad7"];

export interface Band {
  /** Inclusive range of the total. */
  min: number;
  max: number;
  key: "minimal" | "mild" | "moderate" | "moderately-severe" | "severe";
}

interface Wording {
  title: string;
  stem: string;
  options: readonly [string, string, string, string];
  items: readonly string[];
  difficulty: string;
  difficultyOptions: readonly [string, string, string, string];
}

export interface Instrument {
  id: InstrumentId;
  short: string;
  /** LOINC: the panel, its total score, and each item in order. */
  loinc: { panel: string; total: string; items: readonly string[]; difficulty: string };
  maxTotal: number;
  bands: readonly Band[];
  wording: Record<MeasureLanguage, Wording>;
  /**
   * Test–retest reliability used for the Reliable Change Index (Jacobson & Truax 1991).
   * PHQ-9: r = 0.84 (Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606–613, retest within
   * 48 h). GAD-7: r = 0.83 (Spitzer, Kroenke, Williams & Löwe 2006, Arch Intern Med 166:1092–1097,
   * retest within 1 week).
   */
  reliability: number;
  /**
   * The published cut-off for caseness (a total at or above it is "moderate" or worse): 10 for
   * both (PHQ-9: Kroenke et al. 2001; GAD-7: Spitzer et al. 2006). Clinically significant change
   * is a reliable improvement that crosses it.
   */
  caseness: number;
}

const PHQ9_BANDS: readonly Band[] = [
  { min: 0, max: 4, key: "minimal" },
  { min: 5, max: 9, key: "mild" },
  { min: 10, max: 14, key: "moderate" },
  { min: 15, max: 19, key: "moderately-severe" },
  { min: 20, max: 27, key: "severe" },
];

const GAD7_BANDS: readonly Band[] = [
  { min: 0, max: 4, key: "minimal" },
  { min: 5, max: 9, key: "mild" },
  { min: 10, max: 14, key: "moderate" },
  { min: 15, max: 21, key: "severe" },
];

export const PHQ9: Instrument = {
  id: "phq9",
  short: "PHQ-9",
  loinc: {
    panel: "44249-1",
    total: "44261-6",
    items: ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"],
    difficulty: "69722-7",
  },
  maxTotal: 27,
  bands: PHQ9_BANDS,
  reliability: 0.84,
  caseness: 10,
  wording: {
    en: {
      title: "Patient Health Questionnaire (PHQ-9)",
      stem: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
      options: ["Not at all", "Several days", "More than half the days", "Nearly every day"],
      items: [
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
      ],
      difficulty: "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?",
      difficultyOptions: ["Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"],
    },
    fr: {
      title: "Questionnaire sur la santé du patient (PHQ-9)",
      stem: "Au cours des 2 dernières semaines, selon quelle fréquence avez-vous été gêné(e) par les problèmes suivants ?",
      options: ["Jamais", "Plusieurs jours", "Plus de la moitié du temps", "Presque tous les jours"],
      items: [
        "Peu d'intérêt ou de plaisir à faire les choses",
        "Être triste, déprimé(e) ou désespéré(e)",
        "Difficultés à s'endormir ou à rester endormi(e), ou dormir trop",
        "Se sentir fatigué(e) ou manquer d'énergie",
        "Avoir peu d'appétit ou manger trop",
        "Avoir une mauvaise opinion de soi-même, ou avoir le sentiment d'être nul(le), ou d'avoir déçu sa famille ou s'être déçu(e) soi-même",
        "Avoir du mal à se concentrer, par exemple, pour lire le journal ou regarder la télévision",
        "Bouger ou parler si lentement que les autres auraient pu le remarquer. Ou au contraire, être si agité(e) que vous avez eu du mal à tenir en place par rapport à d'habitude",
        "Penser qu'il vaudrait mieux mourir ou envisager de vous faire du mal d'une manière ou d'une autre",
      ],
      difficulty: "Si vous avez coché au moins un des problèmes évoqués, à quel point ce(s) problème(s) a-t-il (ont-ils) rendu votre travail, vos tâches à la maison ou votre capacité à vous entendre avec les autres difficile(s) ?",
      difficultyOptions: ["Pas du tout difficile(s)", "Assez difficile(s)", "Très difficile(s)", "Extrêmement difficile(s)"],
    },
    es: {
      title: "Cuestionario sobre la salud del paciente (PHQ-9)",
      stem: "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?",
      options: ["Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días"],
      items: [
        "Poco interés o placer en hacer cosas",
        "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
        "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
        "Se ha sentido cansado(a) o con poca energía",
        "Sin apetito o ha comido en exceso",
        "Se ha sentido mal con usted mismo(a) — o que es un fracaso o que ha quedado mal con usted mismo(a) o con su familia",
        "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la televisión",
        "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario — muy inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
      ],
      difficulty: "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?",
      difficultyOptions: ["No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil"],
    },
  },
};

export const GAD7: Instrument = {
  id: "gad7",
  short: "GAD-7",
  loinc: {
    panel: "69737-5",
    total: "70274-6",
    items: ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"],
    difficulty: "69726-8",
  },
  maxTotal: 21,
  bands: GAD7_BANDS,
  reliability: 0.83,
  caseness: 10,
  wording: {
    en: {
      title: "Generalized Anxiety Disorder 7-item (GAD-7)",
      stem: "Over the last 2 weeks, how often have you been bothered by the following problems?",
      options: ["Not at all", "Several days", "More than half the days", "Nearly every day"],
      items: [
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
      ],
      difficulty: "If you checked any problems, how difficult have they made it for you to do your work, take care of things at home, or get along with other people?",
      difficultyOptions: ["Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"],
    },
    fr: {
      title: "Questionnaire sur le trouble d'anxiété généralisée (GAD-7)",
      stem: "Au cours des 2 dernières semaines, selon quelle fréquence avez-vous été gêné(e) par les problèmes suivants ?",
      options: ["Jamais", "Plusieurs jours", "Plus de la moitié du temps", "Presque tous les jours"],
      items: [
        "Un sentiment de nervosité, d'anxiété ou de tension",
        "Une incapacité à arrêter de s'inquiéter ou à contrôler ses inquiétudes",
        "Une inquiétude excessive à propos de différentes choses",
        "Des difficultés à se détendre",
        "Une agitation telle qu'il est difficile à tenir en place",
        "Une tendance à être facilement contrarié(e) ou irritable",
        "Un sentiment de peur comme si quelque chose de terrible risquait de se produire",
      ],
      difficulty: "Si vous avez coché au moins un des problèmes évoqués, à quel point ce(s) problème(s) a-t-il (ont-ils) rendu votre travail, vos tâches à la maison ou votre capacité à vous entendre avec les autres difficile(s) ?",
      difficultyOptions: ["Pas du tout difficile(s)", "Assez difficile(s)", "Très difficile(s)", "Extrêmement difficile(s)"],
    },
    es: {
      title: "Cuestionario del trastorno de ansiedad generalizada (GAD-7)",
      stem: "Durante las últimas 2 semanas, ¿con qué frecuencia le han molestado los siguientes problemas?",
      options: ["Nunca", "Varios días", "Más de la mitad de los días", "Casi todos los días"],
      items: [
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        "No ha sido capaz de parar o controlar su preocupación",
        "Se ha preocupado demasiado por motivos diferentes",
        "Ha tenido dificultad para relajarse",
        "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
        "Se ha molestado o irritado fácilmente",
        "Ha tenido miedo de que algo terrible fuera a pasar",
      ],
      difficulty: "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?",
      difficultyOptions: ["No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil"],
    },
  },
};

export function instrument(id: InstrumentId): Instrument {
  return id === "phq9" ? PHQ9 : GAD7;
}

export function isInstrumentId(v: unknown): v is InstrumentId {
  return v === "phq9" || v === "gad7";
}

export function isMeasureLanguage(v: unknown): v is MeasureLanguage {
  return v === "en" || v === "fr" || v === "es";
}

export interface Score {
  total: number;
  band: Band;
}

/** The published scoring: the sum of the item answers (0–3 each), and its severity band. */
export function score(inst: Instrument, answers: readonly number[]): Score {
  if (answers.length !== inst.loinc.items.length) throw new RangeError(`${inst.short} takes ${inst.loinc.items.length} answers`);
  for (const a of answers) if (!Number.isInteger(a) || a < 0 || a > 3) throw new RangeError("each answer is 0, 1, 2 or 3");
  const total = answers.reduce((s, a) => s + a, 0);
  return { total, band: bandOf(inst, total) };
}

export function bandOf(inst: Instrument, total: number): Band {
  const band = inst.bands.find((b) => total >= b.min && total <= b.max);
  if (!band) throw new RangeError(`${inst.short} total out of range`);
  return band;
}

/** PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered above "Not at all". */
export function needsSafetyAlert(inst: Instrument, answers: readonly number[]): boolean {
  return inst.id === "phq9" && (answers[8] ?? 0) > 0;
}
