-- W2's physical limit: one hot SKU, the same lock + guarded UPDATE + ledger + order + line + event.
\set phone random(900000000, 999999999)
BEGIN;
SELECT s.sku, s.on_hand, s.reserved FROM inventory_stock_level s WHERE s.sku = 'B-00001' FOR UPDATE;
UPDATE inventory_stock_level AS s SET reserved = s.reserved + 1
  WHERE s.sku = 'B-00001' AND s.warehouse_id = 1 AND s.reserved + 1 <= s.on_hand;
INSERT INTO inventory_movement (sku, warehouse_id, kind, delta_on_hand, delta_reserved, reason, order_ref, actor, created_at)
  VALUES ('B-00001', 1, 'reserve', 0, 1, '', 'PGB', 'bench', now());
INSERT INTO orders_order (number, channel_code, status, payment_status, fulfillment_status, payment_method, currency,
    subtotal, shipping_fee, discount_total, total, item_count, customer_name, customer_phone, customer_email,
    ship_recipient, ship_phone, ship_country, ship_city, ship_district, ship_postal_code, ship_line1, ship_line2,
    note, review_issues, line_fingerprint, version, placed_by, created_at, updated_at)
  VALUES ('PGH-' || :client_id || '-' || nextval('pgb_seq'), 'web', 'confirmed', 'unpaid', 'unfulfilled', 'cod', 'TWD',
    100, 80, 0, 180, 1, '搶購客', '0' || :phone::text, '', '搶購客', '0912345678', 'TW', '臺北市', '大安區', '106',
    '復興南路一段 1 號', '', '', '[]', 'x', 1, 'bench', now(), now()) RETURNING id \gset
INSERT INTO orders_line (order_id, line_no, sku, product_id, product_name, category_code, attributes, catalog_price,
    unit_price, quantity, line_total, backordered_quantity)
  VALUES (:id, 1, 'B-00001', 1, '商品', 'bench', '{}', 100, 100, 1, 100, 0);
INSERT INTO platform_event (topic, aggregate_type, aggregate_id, actor, payload, created_at)
  VALUES ('order.placed', 'order', 'PGH', 'bench', '{}', now());
COMMIT;
