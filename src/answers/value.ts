import { z } from "zod";

/** A multiselect's answer: its chosen values. */
const answerList = z.array(z.union([z.string(), z.number()]));

/** A value a question can have: a manifest's `default`, one given with --set, a file or a prompt. */
export const givenAnswerSchema = z.union([z.string(), z.number(), z.boolean(), answerList]);

/** An answer as provided and recorded: a given value, or null (a question whose `when` is false; an answers file's "no answer"). */
export const answerValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), answerList]);

export type AnswerValue = z.infer<typeof answerValueSchema>;
