//! Events as JavaScript objects, built in JavaScript from a compact
//! encoding: one `Float64Array` of numbers and indices, one string holding
//! every text value, and the field names interned once per decoder.
//!
//! This is how [`Decoder::take_events`](crate::Decoder::take_events)
//! makes its objects. A busy capture gives two events of a dozen objects
//! each per ESP packet; `JSON.parse` of the same events' JSON text spends
//! most of its time scanning field names and punctuation, and creating
//! objects field by field across the wasm boundary costs a call per
//! property. Here a small JavaScript loop reads the numbers straight out of
//! wasm memory and makes each object with one literal.
//!
//! The objects equal `JSON.parse` of the event's `oncp decode --json`
//! line, property order included (`wasm/test/decode.test.mjs` and
//! `events-json.test.mjs` compare them on every testdata capture).

use std::collections::HashMap;

use oncp_core::trace::{Direction, Event, Value};
use wasm_bindgen::prelude::*;

/// The encoding's marker for `null` (times, directions and sources).
const NULL: f64 = -1.0;
/// Value tags: `false`, `true`, a number, a string, a list.
const FALSE: f64 = 0.0;
const TRUE: f64 = 1.0;
const NUMBER: f64 = 2.0;
const TEXT: f64 = 3.0;
const LIST: f64 = 4.0;
/// A string equal to the last one sent for the same [`Slot`], then the
/// slot.
const SAME_TEXT: f64 = 5.0;
/// A string to remember for its slot: the slot, then the string.
const SLOT_TEXT: f64 = 6.0;

/// Field positions per layer that have a [`Slot`]: the per-packet events
/// have about a dozen fields, most repeating the last packet's name and
/// value (addresses, SPI, SA, `good`, `fresh`, `esp`).
const SLOTS_PER_LAYER: usize = 32;

/// What was last sent at one field position of a layer's events (the ESP
/// and inner events of a capture alternate, so each layer has its own).
#[derive(Debug, Clone, Default)]
struct Slot {
    /// The field's name index: most lookups are one string comparison.
    name: Option<u32>,
    /// Where its string value is in `text`, when it had one in this batch.
    text: Option<core::ops::Range<usize>>,
}

#[wasm_bindgen(inline_js = r#"
// Reads the events encoded by oncp-wasm's event_objects.rs (see there).
export function buildEvents(ops, text, names) {
  const events = [];
  const same = [];
  const n = ops.length;
  let i = 0;
  function value() {
    const tag = ops[i++];
    switch (tag) {
      case 0: return false;
      case 1: return true;
      case 2: return ops[i++];
      case 3: { const s = text.substring(ops[i], ops[i + 1]); i += 2; return s; }
      case 5: return same[ops[i++]];
      case 6: {
        const s = text.substring(ops[i + 1], ops[i + 2]);
        same[ops[i]] = s;
        i += 3;
        return s;
      }
      default: {
        const count = ops[i++];
        const list = new Array(count);
        for (let k = 0; k < count; k++) list[k] = value();
        return list;
      }
    }
  }
  while (i < n) {
    const time = ops[i];
    const direction = ops[i + 1];
    const layer = names[ops[i + 2]];
    const summary = text.substring(ops[i + 3], ops[i + 4]);
    const count = ops[i + 5];
    i += 6;
    const fields = new Array(count);
    for (let k = 0; k < count; k++) {
      const name = names[ops[i++]];
      fields[k] = { name, value: value() };
    }
    let source = null;
    if (ops[i] < 0) i += 1;
    else { source = { start: ops[i], end: ops[i + 1] }; i += 2; }
    events.push({
      time_us: time < 0 ? null : time,
      direction: direction < 0 ? null : names[direction],
      layer,
      summary,
      fields,
      source,
    });
  }
  return events;
}
"#)]
extern "C" {
    /// Builds the event objects of `ops` and `text` (names from `names`).
    #[wasm_bindgen(js_name = buildEvents)]
    fn build_events(ops: &[f64], text: &str, names: &js_sys::Array) -> js_sys::Array;
}

/// Encodes events for `buildEvents`; kept by a decoder across takes so
/// that its buffers and interned names are reused.
#[derive(Default)]
pub(crate) struct EventObjects {
    ops: Vec<f64>,
    text: String,
    /// `text`'s length in UTF-16 code units (JavaScript string indices).
    text_units: usize,
    /// The interned names (field names, layers, directions): their
    /// indices, the names by index, and the same as JavaScript strings.
    name_index: HashMap<String, u32>,
    name_list: Vec<String>,
    names_js: js_sys::Array,
    /// The name indices of the directions and layers (see `fixed_name`).
    fixed: Vec<Option<u32>>,
    /// The slot of field `k` of layer number `l` at `l * SLOTS_PER_LAYER +
    /// k`; their texts are cleared with `text`.
    slots: Vec<Slot>,
}

impl EventObjects {
    /// Adds `e` to the pending batch.
    pub(crate) fn push(&mut self, e: &Event) {
        self.ops.push(e.time_us.map_or(NULL, |t| t as f64));
        let direction = match e.direction {
            Some(d) => f64::from(self.fixed_name(d as usize, Self::direction_name(d))),
            None => NULL,
        };
        self.ops.push(direction);
        let layer = self.fixed_name(2 + e.layer as usize, e.layer.name());
        self.ops.push(f64::from(layer));
        self.push_text(&e.summary);
        self.ops.push(e.fields.len() as f64);
        let first_slot = e.layer as usize * SLOTS_PER_LAYER;
        if self.slots.len() < first_slot + SLOTS_PER_LAYER {
            self.slots
                .resize(first_slot + SLOTS_PER_LAYER, Slot::default());
        }
        for (k, f) in e.fields.iter().enumerate() {
            let slot = (k < SLOTS_PER_LAYER).then_some(first_slot + k);
            let index = self.field_name(slot, &f.name);
            self.ops.push(f64::from(index));
            match (&f.value, slot) {
                (Value::Text(text), Some(slot)) => self.push_slot_text(slot, text),
                (value, _) => self.push_value(value),
            }
        }
        match &e.source {
            Some(r) => {
                self.ops.push(r.start as f64);
                self.ops.push(r.end as f64);
            }
            None => self.ops.push(NULL),
        }
    }

    /// The objects of the events pushed since the last call, in order.
    pub(crate) fn take(&mut self) -> JsValue {
        let events = build_events(&self.ops, &self.text, &self.names_js);
        self.ops.clear();
        self.text.clear();
        self.text_units = 0;
        self.slots.iter_mut().for_each(|s| s.text = None);
        events.into()
    }

    fn push_value(&mut self, v: &Value) {
        match v {
            Value::Bool(false) => self.ops.push(FALSE),
            Value::Bool(true) => self.ops.push(TRUE),
            Value::Uint(n) => {
                self.ops.push(NUMBER);
                // Exact below 2^53, as JSON.parse of the JSON would be.
                self.ops.push(*n as f64);
            }
            Value::Text(s) => {
                self.ops.push(TEXT);
                self.push_text(s);
            }
            Value::List(items) => {
                self.ops.push(LIST);
                self.ops.push(items.len() as f64);
                for item in items {
                    self.push_value(item);
                }
            }
        }
    }

    /// Sends `s` as the string of `slot`: a reference to the last one sent
    /// for the slot when they are equal (one JavaScript string for both).
    fn push_slot_text(&mut self, slot: usize, s: &str) {
        if let Some(range) = &self.slots[slot].text
            && self.text[range.clone()] == *s
        {
            self.ops.push(SAME_TEXT);
            self.ops.push(slot as f64);
            return;
        }
        self.ops.push(SLOT_TEXT);
        self.ops.push(slot as f64);
        let start = self.text.len();
        self.push_text(s);
        self.slots[slot].text = Some(start..self.text.len());
    }

    /// Appends `s` to the text and its start and end (UTF-16 units) to ops.
    fn push_text(&mut self, s: &str) {
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.text.push_str(s);
        self.ops.push(self.text_units as f64);
        self.text_units += units;
        self.ops.push(self.text_units as f64);
    }

    /// The index of the name of a field, from its slot's last name when
    /// it is the same.
    fn field_name(&mut self, slot: Option<usize>, name: &str) -> u32 {
        let Some(slot) = slot else {
            return self.name(name);
        };
        if let Some(index) = self.slots[slot].name
            && self.name_list[index as usize] == name
        {
            return index;
        }
        let index = self.name(name);
        self.slots[slot].name = Some(index);
        index
    }

    /// The index of `name`, the name of a direction or layer numbered
    /// `slot` in `fixed` (two directions, then the layers).
    fn fixed_name(&mut self, slot: usize, name: &'static str) -> u32 {
        if let Some(Some(index)) = self.fixed.get(slot) {
            return *index;
        }
        let index = self.name(name);
        if self.fixed.len() <= slot {
            self.fixed.resize(slot + 1, None);
        }
        self.fixed[slot] = Some(index);
        index
    }

    /// A direction as `--json` writes it.
    fn direction_name(d: Direction) -> &'static str {
        match d {
            Direction::ClientToServer => "ClientToServer",
            Direction::ServerToClient => "ServerToClient",
        }
    }

    /// The index of `name`, interned (and sent to JavaScript) on first use.
    fn name(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.name_index.get(name) {
            return index;
        }
        let index = self.names_js.push(&JsValue::from_str(name)) - 1;
        self.name_index.insert(name.into(), index);
        self.name_list.push(name.into());
        index
    }
}
