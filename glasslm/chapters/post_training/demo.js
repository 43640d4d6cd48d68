// The post-training chapter: the demos, in two modules by model. Each only draws what
// /api/post-training/* returns.

import { smollm2Demos } from "./smollm2.js";
import { tinyDemos } from "./tiny.js";

export const demos = { ...smollm2Demos, ...tinyDemos };
