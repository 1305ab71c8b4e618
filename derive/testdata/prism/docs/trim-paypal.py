# paypal-orders-v2-trimmed.json is PayPal's Orders v2 document
# (github.com/paypal/paypal-rest-api-specifications, commit
# ec4d8f36a6ab0abcc3865e1072aaddc85ea14d5c, openapi/checkout_orders_v2.json)
# run through this script:  python3 trim-paypal.py checkout_orders_v2.json paypal-orders-v2-trimmed.json
# petstore.yaml is OpenAPI's example (github.com/OAI/OpenAPI-Specification,
# commit fad4c13dd669bf5c794f477ffaf31900f8e64418, examples/v3.0/petstore.yaml), unchanged.
#
# Trims PayPal's Orders v2 document to orders.create and orders.get for the
# Prism test: every other path goes, components nothing references go, schema
# descriptions go and other descriptions are cut to their first sentence.
# Everything that validates (types, patterns, enums, lengths, examples) stays.
import json, re, sys
src, dst = sys.argv[1], sys.argv[2]
d = json.load(open(src))
def short(t):
    t = re.sub(r'\s+', ' ', t).strip()
    m = re.match(r'(.{1,60}?[.])( |$)', t)
    return m.group(1) if m else t[:60]
def strip(o, inschema=False):
    if isinstance(o, dict):
        out = {}
        for k, v in o.items():
            if k in ('x-kbn', 'externalDocs'):
                continue
            if k in ('description', 'summary') and isinstance(v, str):
                if not inschema:
                    out[k] = short(v)
                continue
            out[k] = strip(v, inschema or k in ('schemas', 'schema'))
        return out
    if isinstance(o, list):
        return [strip(x, inschema) for x in o]
    return o
s = strip(d)
keep = {'/v2/checkout/orders': ['post'], '/v2/checkout/orders/{id}': ['get', 'parameters']}
s['paths'] = {p: {m: v for m, v in s['paths'][p].items() if m in ms} for p, ms in keep.items()}
def refs(o, acc):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == '$ref' and isinstance(v, str):
                acc.add(v)
            else:
                refs(v, acc)
    elif isinstance(o, list):
        for x in o:
            refs(x, acc)
seen, todo = set(), set()
refs(s['paths'], todo)
comp = s['components']
while todo:
    r = todo.pop()
    if r in seen:
        continue
    seen.add(r)
    o = comp
    for p in r.split('/')[2:]:
        o = o[p]
    refs(o, todo)
s['components'] = {kind: {n: v for n, v in comp[kind].items() if f'#/components/{kind}/{n}' in seen or kind == 'securitySchemes'}
                   for kind in comp}
s['components'] = {k: v for k, v in s['components'].items() if v}
open(dst, 'w').write(json.dumps(s, separators=(',', ':')) + '\n')
