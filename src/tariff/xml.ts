/**
 * A minimal XML reader for the ENTSO-E market documents: elements, text and nothing else (attributes are skipped,
 * namespace prefixes dropped). Enough for machine-written documents of a known shape, and small enough to read;
 * malformed input gives an error that says where.
 */

export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ent.toLowerCase()] ?? whole;
  });
}

const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError';
}

export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const top = stack[stack.length - 1] as XmlElement;
    if (lt < 0) {
      top.text += decode(source.slice(i));
      break;
    }
    if (lt > i) top.text += decode(source.slice(i, lt));
    if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt);
      if (end < 0) throw new XmlSyntaxError(`unclosed comment at offset ${lt}`);
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt);
      if (end < 0) throw new XmlSyntaxError(`unclosed CDATA at offset ${lt}`);
      top.text += source.slice(lt + 9, end);
      i = end + 3;
    } else if (source.startsWith('<?', lt) || source.startsWith('<!', lt)) {
      const end = source.indexOf('>', lt);
      if (end < 0) throw new XmlSyntaxError(`unclosed declaration at offset ${lt}`);
      i = end + 1;
    } else {
      const end = source.indexOf('>', lt);
      if (end < 0) throw new XmlSyntaxError(`unclosed tag at offset ${lt}`);
      const body = source.slice(lt + 1, end);
      if (body.startsWith('/')) {
        const name = localName(body.slice(1).trim());
        if (stack.length < 2 || top.name !== name) {
          throw new XmlSyntaxError(`closing tag </${name}> at offset ${lt} does not match <${top.name}>`);
        }
        stack.pop();
      } else {
        const selfClosing = body.endsWith('/');
        const name = localName((/^[^\s/>]+/.exec(body) ?? [''])[0]);
        if (!name) throw new XmlSyntaxError(`empty tag name at offset ${lt}`);
        const el: XmlElement = { name, children: [], text: '' };
        top.children.push(el);
        if (!selfClosing) stack.push(el);
      }
      i = end + 1;
    }
  }
  if (stack.length > 1) throw new XmlSyntaxError(`unclosed element <${(stack[stack.length - 1] as XmlElement).name}>`);
  const doc = root.children[0];
  if (!doc || root.children.length > 1) throw new XmlSyntaxError('expected exactly one root element');
  return doc;
}

export const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
export const childText = (el: XmlElement, name: string): string | undefined => child(el, name)?.text.trim();
