// The structure tree of every page of a PDF as pdf.js (Firefox's PDF viewer) reads it,
// one JSON array of page.getStructTree() results: nodes {role, alt, lang, children},
// where pdf.js gives an element's /Alt, or else its /ActualText, as `alt`.
//   node pdf_structure_tree.mjs file.pdf
import { readFileSync } from "node:fs";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const data = new Uint8Array(readFileSync(process.argv[2]));
const document = await getDocument({ data, verbosity: 0 }).promise;
const trees = [];
for (let number = 1; number <= document.numPages; number++) {
  const page = await document.getPage(number);
  trees.push(await page.getStructTree());
}
process.stdout.write(JSON.stringify(trees));
