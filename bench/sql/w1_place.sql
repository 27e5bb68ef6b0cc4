-- The SQL dingdan issues to place a 3-line order (W1), with random SKUs: the physical limit.
-- Same statements as the app (captured with StatementCounter), one order per transaction: catalog
-- read, duplicate check, stock lock in sorted order, one JSON-joined UPDATE, ledger, order, lines,
-- event. (The app sends a batch's rows as arrays through unnest; for one order the work is this.)
\set a random(1, 3333)
\set b random(3334, 6666)
\set c random(6667, 10000)
\set phone random(900000000, 999999999)
BEGIN;
SELECT v.sku, v.product_id, p.name, c.code, v.price, v.attributes, v.active, p.active
  FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
  LEFT JOIN catalog_category c ON c.id = p.category_id
  WHERE v.sku IN ('B-' || lpad(:a::text, 5, '0'), 'B-' || lpad(:b::text, 5, '0'), 'B-' || lpad(:c::text, 5, '0'));
SELECT number FROM orders_order WHERE customer_phone = '0' || :phone::text AND created_at >= now() - interval '30 minutes'
  AND line_fingerprint = 'x' AND status != 'cancelled' LIMIT 1;
SELECT s.sku, s.warehouse_id, w.priority, s.on_hand, s.reserved, i.low_stock_threshold
  FROM inventory_stock_level s JOIN inventory_warehouse w ON w.id = s.warehouse_id
  JOIN inventory_item i ON i.sku = s.sku
  WHERE s.sku IN ('B-' || lpad(:a::text, 5, '0'), 'B-' || lpad(:b::text, 5, '0'), 'B-' || lpad(:c::text, 5, '0')) AND w.active
  ORDER BY s.sku, s.warehouse_id FOR UPDATE OF s;
UPDATE inventory_stock_level AS s SET on_hand = s.on_hand + v.d_on_hand, reserved = s.reserved + v.d_reserved
  FROM jsonb_to_recordset(('[{"sku":"B-' || lpad(:a::text, 5, '0') || '","warehouse_id":1,"d_on_hand":0,"d_reserved":1},'
    || '{"sku":"B-' || lpad(:b::text, 5, '0') || '","warehouse_id":1,"d_on_hand":0,"d_reserved":1},'
    || '{"sku":"B-' || lpad(:c::text, 5, '0') || '","warehouse_id":1,"d_on_hand":0,"d_reserved":1}]')::jsonb)
    AS v(sku text, warehouse_id bigint, d_on_hand int, d_reserved int)
  WHERE s.sku = v.sku AND s.warehouse_id = v.warehouse_id AND s.reserved + v.d_reserved >= 0
    AND s.reserved + v.d_reserved <= s.on_hand + v.d_on_hand;
INSERT INTO inventory_movement (sku, warehouse_id, kind, delta_on_hand, delta_reserved, reason, order_ref, actor, created_at)
  VALUES ('B-' || lpad(:a::text, 5, '0'), 1, 'reserve', 0, 1, '', 'PGB', 'bench', now()),
         ('B-' || lpad(:b::text, 5, '0'), 1, 'reserve', 0, 1, '', 'PGB', 'bench', now()),
         ('B-' || lpad(:c::text, 5, '0'), 1, 'reserve', 0, 1, '', 'PGB', 'bench', now());
INSERT INTO orders_order (number, channel_code, status, payment_status, fulfillment_status, payment_method, currency,
    subtotal, shipping_fee, discount_total, total, item_count, customer_name, customer_phone, customer_email,
    ship_recipient, ship_phone, ship_country, ship_city, ship_district, ship_postal_code, ship_line1, ship_line2,
    note, review_issues, line_fingerprint, version, placed_by, created_at, updated_at, created_response)
  VALUES ('PGB-' || :client_id || '-' || nextval('pgb_seq'), 'web', 'confirmed', 'unpaid', 'unfulfilled', 'cod', 'TWD',
    300, 80, 0, 380, 3, '壓測客', '0' || :phone::text, '', '壓測客', '0912345678', 'TW', '臺北市', '大安區', '106',
    '復興南路一段 1 號', '', '', '[]', 'x', 1, 'bench', now(), now(), '{"number": "x", "lines": [1, 2, 3]}')
  ON CONFLICT DO NOTHING RETURNING id \gset
INSERT INTO orders_line (order_id, line_no, sku, product_id, product_name, category_code, attributes, catalog_price,
    unit_price, quantity, line_total, backordered_quantity)
  VALUES (:id, 1, 'B-' || lpad(:a::text, 5, '0'), :a, '商品', 'bench', '{}', 100, 100, 1, 100, 0),
         (:id, 2, 'B-' || lpad(:b::text, 5, '0'), :b, '商品', 'bench', '{}', 100, 100, 1, 100, 0),
         (:id, 3, 'B-' || lpad(:c::text, 5, '0'), :c, '商品', 'bench', '{}', 100, 100, 1, 100, 0);
INSERT INTO platform_event (topic, aggregate_type, aggregate_id, actor, payload, created_at)
  VALUES ('order.placed', 'order', 'PGB', 'bench', '{"to_status": "confirmed"}', now());
COMMIT;
