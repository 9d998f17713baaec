// cel.bind(name, init, body), the cel-go bindings macro that Kubernetes enables for DRA selectors
// (`cel.bind(k, device.attributes["knd.dev"], k.rdma && k.numaNode == 0)`), expanded the way cel-go
// expands it: a comprehension over an empty list whose accumulator `name` starts as `init` and
// whose result is `body`. @bufbuild/cel parses the call but has no such macro. Pure: returns a new
// tree; the input is not changed.
import { parse } from '@bufbuild/cel';
import { create } from '@bufbuild/protobuf';
import {
  Expr_ComprehensionSchema,
  Expr_CreateListSchema,
  Expr_IdentSchema,
  ExprSchema,
  type Expr,
  type ParsedExpr,
} from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

function isCelBind(e: Expr): boolean {
  if (e.exprKind.case !== 'callExpr') return false;
  const call = e.exprKind.value;
  const target = call.target?.exprKind;
  return (
    call.function === 'bind' &&
    target?.case === 'identExpr' &&
    target.value.name === 'cel' &&
    call.args.length === 3
  );
}

function maxId(e: Expr | undefined): bigint {
  if (!e) return 0n;
  let m = e.id;
  const k = e.exprKind;
  const kids: (Expr | undefined)[] = [];
  switch (k.case) {
    case 'selectExpr':
      kids.push(k.value.operand);
      break;
    case 'callExpr':
      kids.push(k.value.target, ...k.value.args);
      break;
    case 'listExpr':
      kids.push(...k.value.elements);
      break;
    case 'structExpr':
      for (const en of k.value.entries) {
        kids.push(en.value);
        if (en.keyKind.case === 'mapKey') kids.push(en.keyKind.value);
      }
      break;
    case 'comprehensionExpr':
      kids.push(k.value.iterRange, k.value.accuInit, k.value.loopCondition, k.value.loopStep, k.value.result);
      break;
    default:
      break;
  }
  for (const c of kids) {
    const x = maxId(c);
    if (x > m) m = x;
  }
  return m;
}

function rewrite(e: Expr | undefined, nextId: () => bigint): Expr | undefined {
  if (!e) return e;
  const k = e.exprKind;
  const r = (x: Expr | undefined): Expr | undefined => rewrite(x, nextId);
  const rr = (xs: Expr[]): Expr[] => xs.map((x) => rewrite(x, nextId) ?? x);
  switch (k.case) {
    case 'selectExpr':
      return { ...e, exprKind: { case: k.case, value: { ...k.value, operand: r(k.value.operand) } } };
    case 'listExpr':
      return { ...e, exprKind: { case: k.case, value: { ...k.value, elements: rr(k.value.elements) } } };
    case 'structExpr':
      return {
        ...e,
        exprKind: {
          case: k.case,
          value: {
            ...k.value,
            entries: k.value.entries.map((en) => ({
              ...en,
              value: r(en.value),
              keyKind:
                en.keyKind.case === 'mapKey'
                  ? { case: 'mapKey', value: r(en.keyKind.value) ?? en.keyKind.value }
                  : en.keyKind,
            })),
          },
        },
      };
    case 'comprehensionExpr':
      return {
        ...e,
        exprKind: {
          case: k.case,
          value: {
            ...k.value,
            iterRange: r(k.value.iterRange),
            accuInit: r(k.value.accuInit),
            loopCondition: r(k.value.loopCondition),
            loopStep: r(k.value.loopStep),
            result: r(k.value.result),
          },
        },
      };
    case 'callExpr': {
      if (!isCelBind(e)) {
        return {
          ...e,
          exprKind: {
            case: k.case,
            value: { ...k.value, target: r(k.value.target), args: rr(k.value.args) },
          },
        };
      }
      const [nameExpr, init, body] = k.value.args;
      if (nameExpr?.exprKind.case !== 'identExpr') {
        throw new Error('cel.bind: the first argument must be a simple name');
      }
      const name = nameExpr.exprKind.value.name;
      return create(ExprSchema, {
        id: e.id,
        exprKind: {
          case: 'comprehensionExpr',
          value: create(Expr_ComprehensionSchema, {
            iterVar: '#unused',
            iterRange: create(ExprSchema, {
              id: nextId(),
              exprKind: { case: 'listExpr', value: create(Expr_CreateListSchema, {}) },
            }),
            accuVar: name,
            accuInit: r(init),
            loopCondition: { ...parse('false').expr, id: nextId() },
            loopStep: create(ExprSchema, {
              id: nextId(),
              exprKind: { case: 'identExpr', value: create(Expr_IdentSchema, { name }) },
            }),
            result: r(body),
          }),
        },
      });
    }
    default:
      return e;
  }
}

/** The parsed expression with every cel.bind(...) expanded. */
export function rewriteBindings(parsed: ParsedExpr & { expr: Expr }): Expr {
  let id = maxId(parsed.expr);
  const out = rewrite(parsed.expr, () => ++id);
  if (!out) throw new Error('internal: empty expression');
  return out;
}
